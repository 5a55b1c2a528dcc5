"""The citizen's account: link references with their code, see only their debts, pay one (SAISIE=A)."""

import datetime
import html

import lxml.html
import pytest
from django.utils import timezone

from debts.models import Debt, ReferenceLink
from payments.models import Transaction
from payments.tipi import refdet_as_printed
from tests.conftest import retour_body
from tests.factories import DebtFactory, DebtorReferenceFactory, TipiClientFactory, TransactionFactory, UserFactory
from tipiportal.money import format_euros

pytestmark = pytest.mark.django_db


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
    assert states[str(payable.pk)] == {
        "code": "payable",
        "label": "À payer",
        "payable": True,
        "outstanding": format_euros(payable.amount_cents),
    }
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
    listing = client.get(f"/compte/?paiement={foreign.public_id}")
    assert listing.status_code == 200 and foreign.token not in listing.text
    assert client.get(f"/paiement/{foreign.public_id}/statut/").status_code == 404


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
    assert response["Location"] == f"/compte/?paiement={transaction.public_id}#paiement"
    assert transaction.saisie == "A" and transaction.user == citizen and transaction.debt == debt
    assert transaction.params["urlcl"] == "https://portail.example/tipi/retour/"
    assert "saisie=A" in transaction.url
    listing = client.get(response["Location"])
    assert transaction.url.replace("&", "&amp;") in listing.text
    assert client.get(f"/paiement/{transaction.public_id}/statut/").json()["state"] == "pending"


def test_debt_in_progress_cannot_be_paid_again(client, citizen):
    debt = linked_debt(citizen, state=Debt.State.IN_PROGRESS)
    response = client.post(f"/compte/dettes/{debt.pk}/payer/", {"email": "marie.lefevre@example.fr"})
    assert response.status_code == 409
    assert "Cette dette a déjà été réglée par Internet" in html.unescape(response.text)
    assert not Transaction.objects.exists()


def test_a_new_attempt_abandons_the_users_own_pending_one_and_no_one_elses(client, citizen):
    debt = linked_debt(citizen)
    anonymous = TransactionFactory(debt=debt)  # typed on the public form, in another browser
    relative = TransactionFactory(debt=debt, saisie="A", user=UserFactory())  # same family account
    for _ in range(2):
        response = client.post(f"/compte/dettes/{debt.pk}/payer/", {"email": "marie.lefevre@example.fr"})
        assert response.status_code == 302
    own = list(Transaction.objects.filter(user=citizen).order_by("pk").values_list("state", flat=True))
    assert own == ["abandoned", "pending"]
    anonymous.refresh_from_db(), relative.refresh_from_db()
    assert (anonymous.state, relative.state) == ("pending", "pending")


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


def listed_ids(response) -> list[int]:
    tree = lxml.html.fromstring(response.content.decode())
    return [int(pk) for pk in tree.xpath("//tr/@data-debt-id")]


def test_rows_keep_the_hooks_of_the_live_status_script(client, citizen):
    """static/js/account.js finds each row by data-debt-id, its .debt-status cell and its "Payer" link."""
    payable = linked_debt(
        citizen, label="<b>Cantine</b> & garderie", amount_cents=4520, issued_on=datetime.date(2026, 1, 5)
    )
    paid = linked_debt(citizen, debtor=payable.debtor, state=Debt.State.PAID, label="", issued_on=None)
    response = client.get("/compte/")
    assert "&lt;b&gt;Cantine&lt;/b&gt; &amp; garderie" in response.text  # escaped, not markup
    tree = lxml.html.fromstring(response.content.decode())
    (row,) = tree.xpath(f'//tr[@data-debt-id="{payable.pk}"]')
    cells = [cell.text_content().strip() for cell in row.xpath("td")]
    printed = refdet_as_printed(payable.client.tipi_protocol, payable.refdet)
    assert cells[0] == f"{printed}{payable.client.label} · référence TIPI {payable.refdet}"
    assert cells[1:6] == [
        "<b>Cantine</b> & garderie",
        "05/01/2026",
        f"{payable.online_until:%d/%m/%Y}",
        "45,20\xa0€",
        "45,20\xa0€",
    ]
    (status,) = row.xpath('td[contains(@class, "debt-status")]')
    assert status.get("class") == "debt-status status-payable" and status.text_content() == "À payer"
    (pay,) = row.xpath('td[contains(@class, "debt-action")]/a')
    assert pay.get("href") == f"/compte/dettes/{payable.pk}/payer/" and pay.get("hidden") is None
    assert pay.text_content() == f"Payer la facture {printed}"
    (row,) = tree.xpath(f'//tr[@data-debt-id="{paid.pk}"]')
    assert [cell.text_content().strip() for cell in row.xpath("td")][1:3] == ["–", "–"]
    assert row.xpath('td[contains(@class, "debt-status")]/@class') == ["debt-status status-paid"]
    assert row.xpath('td[contains(@class, "debt-action")]/a')[0].get("hidden") is not None  # the boolean attribute


def test_no_debt_yet_says_so(client, citizen):
    ReferenceLink.objects.create(user=citizen, debtor=DebtorReferenceFactory())
    text = client.get("/compte/").text
    assert "Aucune facture pour le moment." in text and "Page suivante" not in text


def test_above_100_debts_the_list_is_paged_and_queries_do_not_grow(client, citizen, django_assert_max_num_queries):
    debtors = [DebtorReferenceFactory() for _ in range(3)]
    debts = [linked_debt(citizen, debtor=debtors[n % 3]) for n in range(130)]
    with django_assert_max_num_queries(8):
        first = client.get("/compte/")
    with django_assert_max_num_queries(8):
        second = client.get("/compte/?page=2")
    first_ids, second_ids = listed_ids(first), listed_ids(second)
    assert len(first_ids) == 100 and len(second_ids) == 30
    assert not set(first_ids) & set(second_ids)
    assert set(first_ids) | set(second_ids) == {debt.pk for debt in debts}
    # The polled states answer for the rows of the page shown, in as few queries as before.
    assert lxml.html.fromstring(second.content.decode()).xpath("//@data-states-url") == ["/compte/etat/?page=2"]
    with django_assert_max_num_queries(6):
        states = client.get("/compte/etat/?page=2").json()["debts"]
    assert sorted(map(int, states)) == sorted(second_ids)
    assert sorted(map(int, client.get("/compte/etat/").json()["debts"])) == sorted(first_ids)


def test_page_links_in_french_keep_the_rest_of_the_query(client, citizen):
    debtor = DebtorReferenceFactory()
    for _ in range(101):
        linked_debt(citizen, debtor=debtor)

    def pagination(url):
        (nav,) = lxml.html.fromstring(client.get(url).content.decode()).xpath('//nav[contains(@class, "pagination")]')
        links = {link.text_content(): link.get("href") for link in nav.xpath(".//a")}
        return links, nav.xpath('.//*[@aria-current="page"]')[0].text_content()

    assert pagination("/compte/") == ({"Page suivante": "?page=2"}, "Page 1 sur 2")
    assert pagination("/compte/?paiement=jeton&page=2") == (
        {"Page précédente": "?paiement=jeton&page=1"},
        "Page 2 sur 2",
    )
    # A page past the end shows the last one, a made-up one the first.
    assert len(listed_ids(client.get("/compte/?page=99"))) == 1
    assert len(listed_ids(client.get("/compte/?page=abc"))) == 100


def test_up_to_100_debts_there_is_no_pagination(client, citizen):
    debtor = DebtorReferenceFactory()
    for _ in range(100):
        linked_debt(citizen, debtor=debtor)
    response = client.get("/compte/")
    assert len(listed_ids(response)) == 100
    assert 'class="pagination"' not in response.text


def test_a_debt_paid_by_debit_says_so_in_the_list_its_states_and_its_page(client, citizen):
    """PayFiP's debit (V): the citizen reads « prélèvement », not « CB », wherever the debt is shown."""
    by_debit = linked_debt(citizen, label="Cantine novembre")
    by_card = linked_debt(citizen, debtor=by_debit.debtor, label="Cantine décembre")
    for debt, code, numauto in [(by_debit, "V", ""), (by_card, "P", "123456")]:
        transaction = TransactionFactory(debt=debt, saisie="A", user=citizen)
        body = retour_body(transaction, resultrans=code, numauto=numauto)
        client.post("/tipi/retour/", data=body, content_type="application/x-www-form-urlencoded")
    page = lxml.html.fromstring(client.get("/compte/").content.decode())
    shown = {
        row.get("data-debt-id"): row.xpath(".//*[contains(@class, 'debt-status')]")[0].text_content()
        for row in page.xpath("//tr[@data-debt-id]")
    }
    assert shown == {
        str(by_debit.pk): "Paiement par prélèvement en cours de validation",
        str(by_card.pk): "Paiement CB par Internet en cours de validation",
    }
    states = client.get("/compte/etat/").json()["debts"]
    assert states[str(by_debit.pk)]["label"] == "Paiement par prélèvement en cours de validation"
    page = html.unescape(client.get(f"/compte/dettes/{by_debit.pk}/payer/").text)
    assert "Paiement par prélèvement en cours de validation" in page
