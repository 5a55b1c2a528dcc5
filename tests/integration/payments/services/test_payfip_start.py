"""transaction_start for a client in web-service mode: the PayFiP operation is created before
anything is shown, its idOp and what was sent stored; a refusal of PayFiP's shows its own text
and leaves nothing behind."""

import datetime

import pytest
from django.utils import timezone

from debts.models import Debt
from payments.models import TipiClient, Transaction
from payments.payfip import PayfipFault, PayfipUnavailable
from payments.services.tipi_clients import tipi_client_attempt_start
from payments.services.transactions import PaymentRefused, account_payment_start, manual_payment_start
from tests.factories import UserFactory, staff_member
from tests.factories.payfip import RegieDebtFactory, WebserviceClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _payfip_addresses(settings):
    settings.PORTAL_PUBLIC_URL = "https://paiement.ville.example"
    settings.PAYFIP_WS_PAYMENT_URL = "https://www.payfip.gouv.fr/tpa/paiementws.web"


def test_a_citizen_payment_creates_the_operation_and_keeps_what_was_sent(fake_payfip):
    debt = RegieDebtFactory(amount_cents=4250, label="Cantine scolaire — décembre")
    transaction = manual_payment_start(client=debt.client, refdet=debt.refdet, amount_cents=4250, email="a@b.fr")
    [(idop, sent)] = fake_payfip.sent.items()
    assert sent == {
        "numcli": debt.client.numcli,
        "exer": str(timezone.localdate().year),
        "refdet": debt.refdet,
        "montant": 4250,
        "mel": "a@b.fr",
        "objet": "Cantine scolaire decembre",
        "saisie": "W",
        "urlnotif": "https://paiement.ville.example/payfip/notification/",
        "urlredirect": "https://paiement.ville.example/payfip/retour/",
    }
    assert transaction.idop == idop and transaction.saisie == "M"
    assert transaction.params == {**sent, "montant": "4250"}
    assert transaction.url == f"https://www.payfip.gouv.fr/tpa/paiementws.web?idop={idop}"
    assert transaction.token not in str(sent)  # the OBJET token never leaves in this mode
    wait = transaction.payfip_next_check_at - timezone.now()
    assert datetime.timedelta(minutes=4) < wait <= datetime.timedelta(minutes=5)


def test_an_account_payment_is_sent_as_w_too(fake_payfip):
    debt = RegieDebtFactory()
    transaction = account_payment_start(user=UserFactory(), debt=debt, email="famille@exemple.fr")
    assert (transaction.saisie, transaction.params["saisie"]) == ("A", "W")


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (
            PayfipFault("A2", "Adresse mél incorrecte. "),
            "Le service de paiement PayFiP refuse ce paiement : Adresse mél incorrecte. (A2).",
        ),
        (PayfipUnavailable("timed out"), "Le service de paiement PayFiP ne répond pas pour le moment"),
    ],
)
def test_a_refusal_shows_payfips_text_and_leaves_nothing(fake_payfip, error, shown):
    debt = RegieDebtFactory()
    fake_payfip.create_error = error
    with pytest.raises(PaymentRefused) as refused:
        account_payment_start(user=UserFactory(), debt=debt, email="a@b.fr")
    [(where, message)] = refused.value.messages("A")
    assert message.startswith(shown) and where.field is None
    assert Transaction.objects.count() == 0


def test_the_console_shows_payfips_refusal(fake_payfip, client):
    ws_client = WebserviceClientFactory()
    client.force_login(staff_member("admin", role="Administrateurs"))
    fake_payfip.create_error = PayfipFault("A2", "Adresse mél incorrecte. ")
    response = client.post(f"/gestion/tipi/clients/{ws_client.pk}/", {"saisie": "T", "email": "admin@mairie.example"})
    assert response.status_code == 400  # the form with its error
    assert (
        "Le service de paiement PayFiP refuse ce paiement : Adresse mél incorrecte. (A2)." in response.content.decode()
    )
    assert Transaction.objects.count() == 0


def test_the_portals_own_controls_run_before_payfip_is_asked(fake_payfip):
    debt = RegieDebtFactory(state=Debt.State.PAID)
    with pytest.raises(PaymentRefused):
        manual_payment_start(client=debt.client, refdet=debt.refdet, amount_cents=debt.amount_cents, email="a@b.fr")
    assert fake_payfip.sent == {} and Transaction.objects.count() == 0


def test_a_debt_paid_while_payfip_answered_is_refused_and_nothing_is_saved(fake_payfip, monkeypatch):
    debt = RegieDebtFactory()
    create = fake_payfip.create_payment

    def create_while_paid_elsewhere(**sent):
        Debt.objects.filter(pk=debt.pk).update(state=Debt.State.PAID)
        return create(**sent)

    monkeypatch.setattr(fake_payfip, "create_payment", create_while_paid_elsewhere)
    with pytest.raises(PaymentRefused):
        manual_payment_start(client=debt.client, refdet=debt.refdet, amount_cents=debt.amount_cents, email="a@b.fr")
    assert len(fake_payfip.sent) == 1 and Transaction.objects.count() == 0  # the idOp is left unused


def test_the_consoles_test_of_such_a_client_is_a_payfip_operation_with_saisie_t(fake_payfip):
    client = WebserviceClientFactory(state=TipiClient.State.NEW)
    admin = staff_member("admin", role="Administrateurs")
    transaction = tipi_client_attempt_start(
        client=client, saisie="X", email="admin@mairie.example", with_return_url=False, user=admin
    )
    [sent] = fake_payfip.sent.values()
    assert sent["saisie"] == "X" and transaction.saisie == "X" and transaction.idop
    assert sent["urlnotif"].endswith("/payfip/notification/")  # always: the result is asked for anyway


def test_a_classic_regie_never_calls_payfip(fake_payfip):
    debt = RegieDebtFactory(client__mode=TipiClient.Mode.CLASSIC)
    transaction = manual_payment_start(
        client=debt.client, refdet=debt.refdet, amount_cents=debt.amount_cents, email="a@b.fr"
    )
    assert fake_payfip.sent == {} and transaction.idop is None and "/tpa/paiement.web?" in transaction.url
