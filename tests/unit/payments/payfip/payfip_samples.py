"""Answers in the shape the real service sends (JAX-WS), written out by hand from PAYFIP.md's recordings.

They are literal text, not built with payments.payfip, so that the client is tested against the
wire form and not against its own builders.
"""

SVC = (
    "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService"
)
IDOP = "cc0cb210-1cd4-11ea-8cca-0213ad91a103"


def envelope(body: str) -> bytes:
    return (
        '<?xml version="1.0" ?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>'
        + body
        + "</S:Body></S:Envelope>"
    ).encode()


def created(idop: str = IDOP) -> bytes:
    return envelope(
        f'<ns2:creerPaiementSecuriseResponse xmlns:ns2="{SVC}" '
        'xmlns:ns3="http://securite.service.tpa.cp.finances.gouv.fr/requete" '
        'xmlns:ns4="http://securite.service.tpa.cp.finances.gouv.fr/reponse">'
        f"<return><idOp>{idop}</idOp></return></ns2:creerPaiementSecuriseResponse>"
    )


def detail(
    resultrans: str = "P", numauto: str | None = "112233", objet: str | None = "Cantine", **overrides: str
) -> bytes:
    fields = {
        "dattrans": "12122019",
        "exer": "20",  # recorded: 20 echoed for 2019
        "heurtrans": "1652",
        "idOp": IDOP,
        "mel": "a@b.fr",
        "montant": "1000",
        "numauto": numauto,
        "numcli": "090909",
        "objet": objet,
        "refdet": "ABCDEFGH",
        "resultrans": resultrans,
        "saisie": "T",
    }
    fields.update(overrides)
    leaves = "".join(f"<{key}>{value}</{key}>" for key, value in fields.items() if value is not None)
    return envelope(
        f'<ns2:recupererDetailPaiementSecuriseResponse xmlns:ns2="{SVC}"><return>{leaves}</return>'
        "</ns2:recupererDetailPaiementSecuriseResponse>"
    )


def client_detail() -> bytes:
    return envelope(
        f'<ns2:recupererDetailClientResponse xmlns:ns2="{SVC}"><return><libelleN1>MAIRIE DE TEST</libelleN1>'
        "<libelleN2>REGIE CANTINE</libelleN2><libelleN3/><numcli>090909</numcli></return>"
        "</ns2:recupererDetailClientResponse>"
    )


def fault(code: str, libelle: str, fault_type: str = "FonctionnelleErreur") -> bytes:
    return envelope(
        "<S:Fault><faultcode>S:Server</faultcode>"
        f"<faultstring>fr.gouv.finances.cp.tpa.webservice.exceptions.{fault_type}</faultstring>"
        f'<detail><ns2:{fault_type} xmlns:ns2="{SVC}"><code>{code}</code><descriptif/>'
        f"<libelle>{libelle}</libelle><severite>2</severite></ns2:{fault_type}></detail></S:Fault>"
    )


A2 = fault("A2", "Adresse m&#233;l incorrecte. ")
R3 = fault("R3", "Le format du param&#232;tre REFDET n'est pas conforme")
P1 = fault("P1", "IdOp incorrect.")
P5 = fault("P5", "R&#233;sultat de la transaction non connu.")
TECH = fault("T1", "Service indisponible", "TechIndisponibiliteErreur")
