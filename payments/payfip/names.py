"""PayFiP's SOAP names: namespaces, operations, fields and fault types (PAYFIP.md §3).

Every name here is case-sensitive on the wire (``idOp``, ``numCli``): PayFiP answers P1 to
``<idop>`` even for a fresh operation.
"""

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = (
    "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService"
)
REQUEST_NS = "http://securite.service.tpa.cp.finances.gouv.fr/requete"
RESPONSE_NS = "http://securite.service.tpa.cp.finances.gouv.fr/reponse"

CREATE_PAYMENT = "creerPaiementSecurise"
PAYMENT_DETAIL = "recupererDetailPaiementSecurise"
CLIENT_DETAIL = "recupererDetailClient"
OPERATIONS = (CREATE_PAYMENT, PAYMENT_DETAIL, CLIENT_DETAIL)

# The leaves of each <arg0> and <return>, in schema order (the order they are sent in).
REQUEST_FIELDS = {
    CREATE_PAYMENT: ("exer", "mel", "montant", "numcli", "objet", "refdet", "saisie", "urlnotif", "urlredirect"),
    PAYMENT_DETAIL: ("idOp",),
    CLIENT_DETAIL: ("numCli",),
}
RESPONSE_FIELDS = {
    CREATE_PAYMENT: ("idOp",),
    PAYMENT_DETAIL: (
        "dattrans",
        "exer",
        "heurtrans",
        "idOp",
        "mel",
        "montant",
        "numauto",
        "numcli",
        "objet",
        "refdet",
        "resultrans",
        "saisie",
    ),
    CLIENT_DETAIL: ("libelleN1", "libelleN2", "libelleN3", "numcli"),
}

# The four fault types share one shape: code, descriptif, libelle, message, severite.
FUNCTIONAL_FAULT = "FonctionnelleErreur"
TECHNICAL_FAULTS = ("TechDysfonctionnementErreur", "TechIndisponibiliteErreur", "TechProtocolaireErreur")
FAULT_TYPES = (FUNCTIONAL_FAULT, *TECHNICAL_FAULTS)
FAULT_FIELDS = ("code", "descriptif", "libelle", "message", "severite")
FAULT_CLASS_PREFIX = "fr.gouv.finances.cp.tpa.webservice.exceptions."

# Texts recorded from the real service (trailing space of A2 included).
FAULT_TEXTS = {
    "A2": "Adresse mél incorrecte. ",
    "R3": "Le format du paramètre REFDET n'est pas conforme",
    "P1": "IdOp incorrect.",
    "P5": "Résultat de la transaction non connu.",
}

# What PayFiP's service URL and payment page are called from the base URL (TIPI_BASE_URL).
SERVICE_PATH = "/tpa/services/securite"
PAYMENT_PAGE_PATH = "/tpa/paiementws.web"
