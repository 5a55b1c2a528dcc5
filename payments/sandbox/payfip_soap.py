"""The sandbox's PayFiP SOAP service at /tpa/services/securite: the three operations and ?wsdl.

Envelopes and faults are payments.payfip's (the client's own builders, so both sides agree on
the wire form); faults go with HTTP 500, as JAX-WS sends them. ``creerPaiementSecurise`` reports
one anomaly per call: the parameters in schema order (exer, mel, montant, numcli, objet, refdet,
saisie, urlnotif, urlredirect), then what PayFiP knows of the client. The recording behind the
order: a bad MEL with a bad MONTANT got only A2. Codes and texts are annex 10's for the same
parameters (REFDET by protocol 0's rule, 6 to 30 a-z A-Z 0-9), the recorded ones where PayFiP's
differ (A2, R3, P1, P5); EXER has no annex-10 code: S1 with its own text.
"""

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt

from payments.models import TipiClient
from payments.payfip import (
    CLIENT_DETAIL,
    CREATE_PAYMENT,
    FAULT_TEXTS,
    FUNCTIONAL_FAULT,
    PAYMENT_DETAIL,
    REQUEST_FIELDS,
    WSDL_ADDRESS,
    WSDL_PATH,
    MalformedMessage,
    client_fault_envelope,
    fault_envelope,
    read_request,
    response_envelope,
)
from payments.sandbox.models import PayfipOperation, SandboxClient
from payments.sandbox.payfip_side import payfip_operation_create, payfip_operation_find
from payments.sandbox.tipi_side import sandbox_client
from payments.tipi import (
    Anomaly,
    Protocol,
    is_valid_mel,
    is_valid_montant_format,
    is_valid_numcli,
    is_valid_objet,
    is_valid_refdet,
    is_valid_urlcl,
    montant_block_code,
)
from payments.tipi.protocol import is_valid_exer

XML = "text/xml; charset=utf-8"
SAISIES = ("T", "X", "W")
MAX_REQUEST_BYTES = 64 * 1024


class Refused(Exception):
    """A FonctionnelleErreur: PayFiP's code and libelle."""

    def __init__(self, code: str, libelle: str) -> None:
        super().__init__(code)
        self.code, self.libelle = code, libelle


def _annex10(code: str, field: str, saisie: str) -> Refused:
    if code == "S1" and field == "exer":
        return Refused(code, "Le format du paramètre EXER n'est pas conforme")
    column = saisie if saisie in ("T", "X") else "M"
    return Refused(code, FAULT_TEXTS.get(code) or Anomaly(code, field, Protocol.REGIE).message(column))


def _montant_code(montant: str) -> str | None:
    if not (montant.isascii() and is_valid_montant_format(montant)):
        return "M1"
    return montant_block_code(int(montant))


def _format_anomaly(fields: dict[str, str]) -> Refused | None:
    get = fields.get
    mel = get("mel", "")
    checks = (
        ("exer", None if is_valid_exer(get("exer", "")) else "S1"),
        ("mel", "A1" if not mel else None if is_valid_mel(mel) else "A2"),
        ("montant", _montant_code(get("montant", ""))),
        ("numcli", None if is_valid_numcli(get("numcli", "")) else "T1"),
        ("objet", None if is_valid_objet(get("objet", "")) else "O1"),
        ("refdet", None if is_valid_refdet(Protocol.REGIE, get("refdet", "")) else "R3"),
        ("saisie", None if get("saisie") in SAISIES else "S1"),
        ("urlnotif", None if is_valid_urlcl(get("urlnotif", "")) else "U1"),
        ("urlredirect", None if is_valid_urlcl(get("urlredirect", "")) else "U1"),
    )
    for field, code in checks:
        if code:
            return _annex10(code, field, get("saisie", ""))
    return None


def _client_anomaly(fields: dict[str, str]) -> Refused | None:
    saisie = fields["saisie"]
    client = sandbox_client(fields["numcli"])
    if client is None:
        return _annex10("T2", "numcli", saisie)
    state = client.state
    if saisie == "X" and state in (SandboxClient.State.INACTIVE, SandboxClient.State.ACTIVE):
        return _annex10("T3" if state == SandboxClient.State.INACTIVE else "T4", "saisie", saisie)
    if saisie == "W" and state != SandboxClient.State.ACTIVE:
        return _annex10("T5", "numcli", saisie)
    # The web service is a contract of its own: a régie's in web-service mode (the portal's table
    # stands for what PayFiP knows of its clients); anyone else has no contract for this product.
    portal = TipiClient.objects.filter(numcli=fields["numcli"]).first()
    if not client.contract or portal is None or portal.mode != TipiClient.Mode.WEBSERVICE:
        return _annex10("R8", "numcli", saisie)
    if saisie == "X" and client.contract != SandboxClient.Contract.OPEN:
        return _annex10("R10", "numcli", saisie)
    if saisie == "W" and client.contract == SandboxClient.Contract.SUSPENDED:
        return _annex10("R9", "numcli", saisie)
    # T (and X) take any well-formed REFDET and amount: no imposed test values in this mode.
    return None


def _create_payment(fields: dict[str, str]) -> dict[str, str]:
    refused = _format_anomaly(fields) or _client_anomaly(fields)
    if refused:
        raise refused
    params = {name: fields[name] for name in REQUEST_FIELDS[CREATE_PAYMENT] if fields.get(name)}
    return {"idOp": payfip_operation_create(params=params).idop}


def _detail_fields(operation: PayfipOperation) -> dict[str, str]:
    params = operation.params
    values = {
        "dattrans": operation.dattrans,
        "exer": params.get("exer", ""),
        "heurtrans": operation.heurtrans,
        "idOp": operation.idop,
        "mel": params.get("mel", ""),
        "montant": params.get("montant", ""),
        "numauto": operation.numauto,
        "numcli": params.get("numcli", ""),
        "objet": params.get("objet", ""),
        "refdet": params.get("refdet", ""),
        "resultrans": operation.resultrans,
        "saisie": params.get("saisie", ""),
    }
    # numauto is absent on R, Z and A; objet when none was sent.
    return {name: value for name, value in values.items() if value or name not in ("numauto", "objet")}


def _payment_detail(fields: dict[str, str]) -> dict[str, str]:
    # Case-sensitive: <idop> is not <idOp>, and PayFiP answers P1 to it.
    operation = payfip_operation_find(fields.get("idOp", ""))
    if operation is None:
        raise Refused("P1", FAULT_TEXTS["P1"])
    if not operation.resultrans:
        raise Refused("P5", FAULT_TEXTS["P5"])
    return _detail_fields(operation)


def _client_detail(fields: dict[str, str]) -> dict[str, str]:
    numcli = fields.get("numCli", "")
    client = TipiClient.objects.filter(numcli=numcli).first() if is_valid_numcli(numcli) else None
    if client is None:
        raise _annex10("T2" if is_valid_numcli(numcli) else "T1", "numcli", "T")
    return {"libelleN1": client.label, "libelleN2": "", "libelleN3": "", "numcli": numcli}


OPERATIONS = {CREATE_PAYMENT: _create_payment, PAYMENT_DETAIL: _payment_detail, CLIENT_DETAIL: _client_detail}


def _xml(body: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=XML)


def wsdl(request: HttpRequest) -> HttpResponse:
    """Our WSDL, with the address of this service in place of PayFiP's."""
    here = escape(request.build_absolute_uri(request.path))
    return _xml(WSDL_PATH.read_bytes().replace(WSDL_ADDRESS.encode(), here.encode()))


@csrf_exempt  # a SOAP endpoint, called server to server
def securite(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and "wsdl" in {key.lower() for key in request.GET}:
        return wsdl(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    body = request.read(MAX_REQUEST_BYTES + 1)
    try:
        if len(body) > MAX_REQUEST_BYTES:
            raise MalformedMessage("requête trop longue")
        operation, fields = read_request(body)
    except MalformedMessage as exc:
        return _xml(client_fault_envelope(f"Requête SOAP illisible : {exc}"), status=500)
    try:
        answer = OPERATIONS[operation](fields)
    except Refused as refused:
        return _xml(fault_envelope(FUNCTIONAL_FAULT, refused.code, refused.libelle), status=500)
    return _xml(response_envelope(operation, answer))
