"""The citizen's account: link references with their code, see only their debts, pay one (SAISIE=A)."""

import datetime
import html

import pytest
from django.utils import timezone

from debts.models import Debt, ReferenceLink
from payments.models import Transaction
from tests.factories import DebtFactory, DebtorReferenceFactory, TipiClientFactory, TransactionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(client):
    user = UserFactory(email="marie.lefevre@example.fr")
    client.force_login(user)
    return user


def linked_debt(user, **kwargs):
    debtor = kwargs.pop("debtor", None) or DebtorReferenceFactory()
    ReferenceLink.objects.get_or_create(user=user, debtor=debtor)
    return DebtFactory(client=debtor.client, debtor=debtor, debtor_ref=debtor.reference, **kwargs)


def test_anonymous_is_sent_to_login(client):
    for url in ("/compte/", "/compte/etat/", "/compte/references/", "/compte/dettes/1/payer/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/compte/login/"), url


def test_link_reference_with_its_code(client, citizen):
    debtor = DebtorReferenceFactory(access_code="ABCD234567")
    response = client.post(
        "/compte/references/",
        {"client": debtor.client.pk, "reference": debtor.reference, "access_code": " abcd 234567 "},
    )
    assert response.status_code == 302
    assert ReferenceLink.objects.filter(user=citizen, debtor=debtor).exists()


def test_wrong_code_is_refused_in_french_then_throttled(client, citizen):
    debtor = DebtorReferenceFactory(access_code="ABCD234567")
    data = {"client": debtor.client.pk, "reference": debtor.reference, "access_code": "ZZZZ999999"}
    for _ in range(5):
        response = client.post("/compte/references/", data)
        assert "La référence ou le code d'accès est incorrect" in html.unescape(response.text)
    data["access_code"] = "ABCD234567"  # even the right code waits now
    response = client.post("/compte/references/", data)
    assert "Trop d'essais infructueux" in html.unescape(response.text)
    assert not ReferenceLink.objects.exists()


def test_unknown_reference_is_refused_like_a_wrong_code(client, citizen):
    client_ = TipiClientFactory()
    response = client.post("/compte/references/", {"client": client_.pk, "reference": "NOPE", "access_code": "X"})
    assert "La référence ou le code d'accès est incorrect" in html.unescape(response.text)


def test_list_shows_only_own_debts_with_status(client, citizen):
    today = timezone.localdate()
    payable = linked_debt(citizen, label="Cantine octobre")
    debtor = payable.debtor
    linked_debt(citizen, debtor=debtor, state=Debt.State.IN_PROGRESS)
    linked_debt(citizen, debtor=debtor, state=Debt.State.PAID)
    linked_debt(
        citizen,
        debtor=debtor,
        online_from=today - datetime.timedelta(days=90),
        online_until=today - datetime.timedelta(days=1),
    )
    linked_debt(citizen, debtor=debtor, online_from=today + datetime.timedelta(days=3))
    cancelled = linked_debt(citizen, debtor=debtor, state=Debt.State.CANCELLED)
    other = DebtFactory(debtor=DebtorReferenceFactory())
    text = html.unescape(client.get("/compte/").text)
    assert payable.refdet in text and "Cantine octobre" in text
    assert "Paiement CB par Internet en cours de validation" in text
    assert "Payée" in text
    assert "Le délai pour payer cette dette sur Internet est expiré" in text
    assert f"Payable en ligne à partir du {(today + datetime.timedelta(days=3)):%d/%m/%Y}" in text
    assert cancelled.refdet not in text
    assert other.refdet not in text
    states = client.get("/compte/etat/").json()["debts"]
    assert states[str(payable.pk)] == {"code": "payable", "label": "À payer", "payable": True}
    assert str(other.pk) not in states
    assert sum(s["payable"] for s in states.values()) == 1


def test_family_account_several_references_and_users(client, citizen):
    first, second = linked_debt(citizen), linked_debt(citizen)
    partner = UserFactory()
    ReferenceLink.objects.create(user=partner, debtor=first.debtor)
    text = client.get("/compte/").text
    assert first.refdet in text and second.refdet in text
    client.force_login(partner)
    text = client.get("/compte/").text
    assert first.refdet in text and second.refdet not in text


def test_guessing_another_debt_id_gives_404(client, citizen):
    other = DebtFactory(debtor=DebtorReferenceFactory())
    assert client.get(f"/compte/dettes/{other.pk}/payer/").status_code == 404
    assert client.post(f"/compte/dettes/{other.pk}/payer/", {"email": "a@b.fr"}).status_code == 404
    assert not Transaction.objects.exists()


def test_another_users_payment_token_gives_404(client, citizen):
    foreign = TransactionFactory(saisie="A", user=UserFactory())
    listing = client.get(f"/compte/?paiement={foreign.token}")
    assert listing.status_code == 200 and foreign.token not in listing.text
    assert client.get(f"/paiement/{foreign.token}/statut/").status_code == 404


def test_removing_someone_elses_reference_gives_404(client, citizen):
    debtor = DebtorReferenceFactory()
    ReferenceLink.objects.create(user=UserFactory(), debtor=debtor)
    assert client.post(f"/compte/references/{debtor.pk}/retirer/").status_code == 404
    assert ReferenceLink.objects.count() == 1


def test_pay_confirm_then_start_saisie_a_with_urlcl(client, citizen, settings):
    settings.PORTAL_PUBLIC_URL = "https://portail.example"
    debt = linked_debt(citizen, amount_cents=4520)
    page = client.get(f"/compte/dettes/{debt.pk}/payer/")
    assert "marie.lefevre@example.fr" in page.text and "45,20" in page.text
    response = client.post(f"/compte/dettes/{debt.pk}/payer/", {"email": "marie.lefevre@example.fr"})
    transaction = Transaction.objects.get()
    assert response["Location"] == f"/compte/?paiement={transaction.token}#paiement"
    assert transaction.saisie == "A" and transaction.user == citizen and transaction.debt == debt
    assert transaction.params["urlcl"] == "https://portail.example/tipi/retour/"
    assert "saisie=A" in transaction.url
    listing = client.get(response["Location"])
    assert transaction.url.replace("&", "&amp;") in listing.text
    assert client.get(f"/paiement/{transaction.token}/statut/").json()["state"] == "pending"


def test_debt_in_progress_cannot_be_paid_again(client, citizen):
    debt = linked_debt(citizen, state=Debt.State.IN_PROGRESS)
    response = client.post(f"/compte/dettes/{debt.pk}/payer/", {"email": "marie.lefevre@example.fr"})
    assert response.status_code == 409
    assert "Cette dette a déjà été réglée par Internet" in html.unescape(response.text)
    assert not Transaction.objects.exists()


def test_expired_debt_cannot_be_paid(client, citizen):
    today = timezone.localdate()
    debt = linked_debt(
        citizen, online_from=today - datetime.timedelta(days=90), online_until=today - datetime.timedelta(days=1)
    )
    response = client.post(f"/compte/dettes/{debt.pk}/payer/", {"email": "marie.lefevre@example.fr"})
    assert response.status_code == 409
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("count", [3, 60])
def test_list_query_count_is_constant(client, citizen, django_assert_max_num_queries, count):
    debtors = [DebtorReferenceFactory() for _ in range(3)]
    for n in range(count):
        linked_debt(citizen, debtor=debtors[n % 3])
    with django_assert_max_num_queries(8):
        response = client.get("/compte/")
    assert response.text.count('data-debt-id="') == count
    with django_assert_max_num_queries(6):
        client.get("/compte/etat/")
