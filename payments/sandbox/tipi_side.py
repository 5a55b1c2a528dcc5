"""What the sandbox does as TIPI: its controls (annex 10), the card result, the POST back."""

import datetime
import logging
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from debts.models import Debt
from payments.models import TipiClient
from payments.sandbox.models import CALLBACK_REFUSED, SandboxClient, SandboxOperation
from payments.tipi import (
    TEST_CARD_CVV,
    TEST_CARD_NUMBER,
    TEST_REFDET,
    Anomaly,
    Protocol,
    check_url_aller,
    format_dattrans,
    urlcl_address_problems,
)

logger = logging.getLogger(__name__)

#: The results that take the money: by card (P) or by PayFiP's single SEPA debit (V).
PAID_RESULTS = ("P", "V")
#: The sandbox's test account for the single SEPA debit (a well-formed French IBAN): debited (V);
#: any other is refused (Z). PayFiP publishes no test IBAN.
TEST_IBAN = "FR7630006000011234567890189"

# Annex 10's order, server-side controls included: TIPI shows the first anomaly it meets.
CONTROL_ORDER = [
    "S1",
    "T1",
    "T2",
    "T3",
    "T4",
    "T5",
    "T6",
    "R1",
    "R2",
    "R3",
    "R4",
    "R5",
    "R6",
    "R11",
    "R7",
    "R8",
    "R9",
    "R10",
    "O1",
    "M1",
    "M2",
    "M3",
    "M4",
    "A1",
    "A2",
    "U1",
    "U2",
]
_PORTAL_STATES = {
    TipiClient.State.NEW: SandboxClient.State.NEW,
    TipiClient.State.ACTIVE: SandboxClient.State.ACTIVE,
    TipiClient.State.INACTIVE: SandboxClient.State.INACTIVE,
}


def lower_params(query: Mapping[str, str]) -> dict[str, str]:
    """TIPI reads parameter names in either case."""
    return {key.lower(): value for key, value in query.items()}


def sandbox_client(numcli: str) -> SandboxClient | None:
    """The sandbox's view of a client; by default a mirror of the portal's, made on first sight."""
    found = SandboxClient.objects.filter(numcli=numcli).first()
    if found:
        return found
    portal = TipiClient.objects.filter(numcli=numcli).first()
    if portal is None:
        return None
    return SandboxClient.objects.create(
        numcli=numcli, protocol=int(portal.tipi_protocol), state=_PORTAL_STATES[TipiClient.State(portal.state)]
    )


def _debt_anomaly(params: dict[str, str], client: SandboxClient, protocol: Protocol) -> tuple[Debt | None, str | None]:
    """The client's debt, or R4 (in no client's base) / R5 (another client's reference)."""
    refdet = params.get("refdet", "")
    debt = Debt.objects.filter(client__numcli=client.numcli, refdet=refdet).first()
    if debt is not None:
        return debt, None
    # Annex 10: R4 "la dette n'est pas dans la base de paiement TIPI", R5 "incohérence entre la
    # référence de la dette et le numéro de client" (the debt exists, under another NUMCLI).
    return None, "R5" if Debt.objects.filter(refdet=refdet).exists() else "R4"


def _server_anomalies(
    params: dict[str, str], client: SandboxClient, today: datetime.date
) -> tuple[list[Anomaly], dict]:
    protocol = Protocol(client.protocol)
    saisie = params.get("saisie", "")
    found: list[Anomaly] = []
    values: dict[str, object] = {}
    if saisie == "X" and client.state == SandboxClient.State.INACTIVE:
        found.append(Anomaly("T3", "saisie", protocol))
    if saisie == "X" and client.state == SandboxClient.State.ACTIVE:
        found.append(Anomaly("T4", "saisie", protocol))
    if saisie in ("M", "A") and client.state != SandboxClient.State.ACTIVE:
        found.append(Anomaly("T5", "numcli", protocol))
    if protocol is Protocol.REGIE:
        # R4 to R11 and M4 are controls of protocols 1-2-3 (annex 10): a régie's invoices are not in
        # TIPI's base, and annex 6 imposes no test values on it.
        return found, values
    if not client.contract:
        # R8: "s'il n'y a pas de contrat associé au client TIPI pour ce type de produit", in
        # every mode (for M and A the spec says it cannot happen in TIPI; the sandbox can).
        found.append(Anomaly("R8", "numcli", protocol))
    if saisie in ("T", "X"):
        if params.get("refdet") != TEST_REFDET[protocol]:
            found.append(Anomaly("R4", "refdet", protocol))
        if saisie == "X" and client.contract and client.contract != SandboxClient.Contract.OPEN:
            found.append(Anomaly("R10", "numcli", protocol))
        return found, values
    debt, code = _debt_anomaly(params, client, protocol)
    if debt is None:
        found.append(Anomaly(code, "refdet", protocol))
        return found, values
    paid = SandboxOperation.objects.filter(
        params__numcli=client.numcli,
        params__refdet=debt.refdet,
        resultrans__in=PAID_RESULTS,
        params__saisie__in=["M", "A"],
    ).first()
    if paid:
        found.append(Anomaly("R6", "refdet", protocol))
        values["dattrans"] = datetime.datetime.strptime(paid.dattrans, "%d%m%Y").date()
    if today < debt.online_from:
        found.append(Anomaly("R11", "refdet", protocol))
        values["date"] = debt.online_from
    elif today > debt.online_until:
        found.append(Anomaly("R7", "refdet", protocol))
    if client.contract == SandboxClient.Contract.SUSPENDED:
        found.append(Anomaly("R9", "numcli", protocol))
    montant = params.get("montant", "")
    if montant.isdigit() and int(montant) != debt.amount_cents:
        found.append(Anomaly("M4", "montant", protocol))
    return found, values


def first_anomaly(params: dict[str, str]) -> tuple[Anomaly | None, dict]:
    """Run TIPI's controls on a URL aller; the first anomaly in annex 10's order, if any."""
    numcli = params.get("numcli", "")
    client = sandbox_client(numcli) if numcli.isdigit() and len(numcli) == 6 else None
    protocol = Protocol(client.protocol) if client else Protocol.INDIGO
    # U2 only "si servi" (annex 10): the portal's own rule that SAISIE=A needs URLCL is not TIPI's.
    found = [a for a in check_url_aller(params, protocol) if a.code != "U2" or params.get("urlcl")]
    values: dict[str, object] = {}
    if client is None and not any(a.code in ("S1", "T1") for a in found):
        found.append(Anomaly("T2", "numcli", protocol))
    if client is not None and params.get("saisie") in ("M", "A", "T", "X"):
        server, values = _server_anomalies(params, client, timezone.localdate())
        found += server
    if not found:
        return None, values
    return min(found, key=lambda a: CONTROL_ORDER.index(a.code)), values


def card_result(number: str, cvv: str, expiry: datetime.date | None, cancelled: bool) -> str:
    """Annex 11's test card pays; any other card is refused; "Annuler" cancels."""
    if cancelled:
        return "A"
    if (
        number.replace(" ", "") == TEST_CARD_NUMBER
        and cvv == TEST_CARD_CVV
        and expiry
        and expiry >= timezone.localdate()
    ):
        return "P"
    return "R"


def debit_result(iban: str) -> str:
    """PayFiP's single SEPA debit: the sandbox's test IBAN is debited (V), any other refused (Z)."""
    return "V" if "".join(iban.split()).upper() == TEST_IBAN else "Z"


def _numauto() -> str:
    # Annex 4: NUMAUTO "Numérique 7", the authorisation number of the card server.
    return f"{secrets.randbelow(10**7):07d}"


def operation_settle(*, operation: SandboxOperation, resultrans: str) -> SandboxOperation:
    """Record the result, e-mail the payment ticket to MEL, POST the retour to URLCL, as TIPI does."""
    operation.resultrans = resultrans
    operation.numauto = _numauto() if resultrans in PAID_RESULTS else ""
    operation.dattrans = format_dattrans(timezone.localdate())
    params = operation.params
    if resultrans == "P" and params.get("saisie") == "X":
        # §4.3.2: the activation payment, made with annex 11's test card, activates the client.
        SandboxClient.objects.filter(numcli=params.get("numcli")).update(state=SandboxClient.State.ACTIVE)
    if resultrans in PAID_RESULTS:
        _ticket_send(operation)
    urlcl = params.get("urlcl")
    if urlcl:
        operation.callback_status = post_to_portal(urlcl, retour_fields(operation))
    operation.save()
    return operation


def _ticket_send(operation: SandboxOperation) -> None:
    # §4.3.1: "TIPI ... transmettra un ticket de paiement à l'adresse mail renseignée ... dans l'URL aller".
    params = operation.params
    text = render_to_string(
        "sandbox/ticket_email.txt",
        {"operation": operation, "params": params, "montant": int(params["montant"])},
    )
    send_mail("TIPI – Ticket de paiement", text, settings.DEFAULT_FROM_EMAIL, [params["mel"]])


def retour_fields(operation: SandboxOperation) -> dict[str, str]:
    """The URL retour of annex 6, names in lower case and in its order: the aller's parameters
    (those given, as sent), then resultrans, numauto and dattrans."""
    given = ["numcli", "exer", "refdet", "objet", "montant", "mel", "saisie"]
    fields = {name: operation.params[name] for name in given if operation.params.get(name)}
    fields.update(resultrans=operation.resultrans, numauto=operation.numauto, dattrans=operation.dattrans)
    return fields


def urlcl_warning(operation: SandboxOperation) -> str:
    """Why the real TIPI would not post this retour (a private address, a port other than 80/443)."""
    urlcl = operation.params.get("urlcl")
    problems = urlcl_address_problems(urlcl) if urlcl else []
    return " ; ".join(problems)


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) as a browser compares origins; None if the URL has no clear one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80)


def post_to_portal(url: str, fields: dict[str, str], *, name: str = "URLCL") -> str:
    """POST ``fields`` form-encoded to ``url`` if it is the portal's (PORTAL_PUBLIC_URL's origin); the outcome."""
    # Anyone can hand the sandbox a URL aller: it must not post returns (or anything) elsewhere.
    portal = settings.PORTAL_PUBLIC_URL
    if _origin(url) is None or _origin(url) != _origin(portal):
        logger.warning("sandbox: %s outside the portal's address (PORTAL_PUBLIC_URL), not posted", name)
        return f"{CALLBACK_REFUSED} : {name} n'est pas à l'adresse du portail ({portal})"
    try:
        response = requests.post(url, data=fields, timeout=10, allow_redirects=False)
    except requests.RequestException as exc:
        logger.warning("sandbox: POST to %s failed: %s", name, exc.__class__.__name__)
        return f"échec : {exc.__class__.__name__}"
    return f"HTTP {response.status_code}"
