"""The web-service mode's link to PayFiP: the SOAP client the portal uses, the addresses PayFiP
calls back, what was sent for an operation and how PayFiP's echo is compared with it.

`payfip_client()` is the one place the client is built: tests replace it (monkeypatch) with a
fake, the sandbox is reached through PAYFIP_SERVICE_URL like the real service.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from payments.models import TipiClient, Transaction
from payments.payfip import PayfipClient, PaymentDetail

# Echoed fields compared with what was sent. Not EXER: PayFiP was recorded echoing "20" for
# "2019" (PAYFIP.md §3), and the amount and reference are what identify the payment.
CHECKED_FIELDS = ("numcli", "refdet", "montant", "mel", "saisie")


def payfip_client() -> PayfipClient:
    return PayfipClient(service_url=settings.PAYFIP_SERVICE_URL, timeout=settings.PAYFIP_TIMEOUT)


def client_uses_webservice(client: TipiClient) -> bool:
    return client.mode == TipiClient.Mode.WEBSERVICE


def notify_url() -> str:
    """urlnotif: where PayFiP POSTs its notification (the idOp only)."""
    return settings.PORTAL_PUBLIC_URL + reverse("payments:payfip-notify")


def redirect_url() -> str:
    """urlredirect: where PayFiP's "Retour site" sends the user back, with ?idop=."""
    return settings.PORTAL_PUBLIC_URL + reverse("payments:payfip-redirect")


def payment_page_url(idop: str) -> str:
    return f"{settings.PAYFIP_WS_PAYMENT_URL}?{urlencode({'idop': idop})}"


def detail_mismatches(*, sent: dict, detail: PaymentDetail) -> list[str]:
    """What PayFiP's answer echoes differently from what creerPaiementSecurise sent (French)."""
    problems = []
    for name in CHECKED_FIELDS:
        expected = str(sent.get(name, ""))
        echoed = str(getattr(detail, name))
        if name == "montant":
            same = expected.isdigit() and int(expected) == getattr(detail, name)
        elif name == "mel":
            same = echoed.strip().lower() == expected.strip().lower()
        else:
            same = echoed == expected
        if not same:
            shown = "différent de celui envoyé" if name == "mel" else f"{echoed or '–'} ≠ {expected or '–'}"
            problems.append(f"{name.upper()} {shown}")
    return problems


def transaction_is_webservice(transaction: Transaction) -> bool:
    return bool(transaction.idop)
