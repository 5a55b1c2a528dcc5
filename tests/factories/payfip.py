"""PayFiP's web-service mode in tests: transactions as `transaction_start` makes them for a
web-service client, and a fake PayfipClient (`payments.services.payfip.payfip_client` replaced)."""

import datetime
import time
import uuid
from zoneinfo import ZoneInfo

import factory

from payments.models import TipiClient
from payments.payfip import PayfipFault, PaymentDetail
from tests.factories.clients import RegieClientFactory
from tests.factories.debts import DebtFactory
from tests.factories.payments import TransactionFactory

PARIS = ZoneInfo("Europe/Paris")
RESULT_NOT_KNOWN = PayfipFault("P5", "Résultat de la transaction non connu.")
IDOP_UNKNOWN = PayfipFault("P1", "IdOp incorrect.")


class WebserviceClientFactory(RegieClientFactory):
    """A régie in PayFiP's web-service mode."""

    mode = TipiClient.Mode.WEBSERVICE


class RegieDebtFactory(DebtFactory):
    """A régie's invoice: its REFDET is the invoice number (6 to 30 alphanumerics)."""

    client = factory.SubFactory(WebserviceClientFactory)
    ref_parts = factory.LazyAttribute(lambda d: {"invoice": f"FACT{d.number:010d}"})
    refdet = factory.LazyAttribute(lambda d: d.ref_parts["invoice"])  # an invoice number that fits as it is


class WebserviceTransactionFactory(TransactionFactory):
    """A SAISIE W attempt: an idOp, what creerPaiementSecurise was sent, the paiementws.web page."""

    debt = factory.SubFactory(RegieDebtFactory)

    idop = factory.LazyFunction(lambda: str(uuid.uuid4()))
    url = factory.LazyAttribute(lambda t: f"http://testserver/tpa/paiementws.web?idop={t.idop}")
    params = factory.LazyAttribute(
        lambda t: {
            "numcli": t.client.numcli,
            "exer": "2026",
            "refdet": t.refdet,
            "montant": str(t.amount_cents),
            "mel": t.email,
            "saisie": "W",
            "urlnotif": "http://testserver/payfip/notification/",
            "urlredirect": "http://testserver/payfip/retour/",
        }
    )


class FakePayfip:
    """Plays PayFiP's SOAP service: operations created, their results (P5 until one is set)."""

    def __init__(self):
        self.sent: dict[str, dict] = {}
        self.results: dict[str, PaymentDetail | Exception] = {}
        self.asked: list[str] = []
        self.create_error: Exception | None = None
        self.delay = 0.0  # seconds each answer takes (widens races in concurrency tests)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def create_payment(self, **sent) -> str:
        if self.create_error is not None:
            raise self.create_error
        idop = str(uuid.uuid4())
        self.sent[idop] = sent
        return idop

    def payment_detail(self, idop: str) -> PaymentDetail:
        self.asked.append(idop)
        time.sleep(self.delay)
        result = self.results.get(idop, RESULT_NOT_KNOWN)
        if isinstance(result, Exception):
            raise result
        return result

    def settle(self, transaction, resultrans: str = "P", **echo) -> PaymentDetail:
        """The user paid (or not) on PayFiP's page: its answer from now on echoes what was sent."""
        sent = transaction.params
        values = {
            "idop": transaction.idop,
            "resultrans": resultrans,
            "numauto": "123456" if resultrans in ("P", "V") else "",
            "montant": int(sent["montant"]),
            "refdet": sent["refdet"],
            "numcli": sent["numcli"],
            "mel": sent["mel"],
            "saisie": sent["saisie"],
            "objet": sent.get("objet", ""),
            "exer": sent.get("exer", ""),
            "dattrans": "07122026",
            "heurtrans": "2330",
            "paid_at": datetime.datetime(2026, 12, 7, 23, 30, tzinfo=PARIS),
        }
        values.update(echo)
        detail = PaymentDetail(**values)
        self.results[transaction.idop] = detail
        return detail
