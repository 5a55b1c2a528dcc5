"""Staff pages: staff login everywhere, the debts list and detail, the audited actions on a debt."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from debts.models import Debt, DebtEvent, DebtorReference, ImportBatch, ImportIssue
from payments.models import ReturnNotice
from tests.factories import DebtFactory, TipiClientFactory, TransactionFactory, staff_member

pytestmark = pytest.mark.django_db

LOGIN = "/gestion/admin/login/"


@pytest.fixture
def staff_user():
    return staff_member("agent", "mot-de-passe-agent", email="agent@mairie.example")


@pytest.fixture
def staff(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def citizen(client):
    user = get_user_model().objects.create_user("usager", "usager@example.fr", "mot-de-passe-usager")
    client.force_login(user)
    return client


@pytest.fixture
def batch(staff_user):
    tipi_client = TipiClientFactory()
    batch = ImportBatch.objects.create(
        client=tipi_client,
        fmt="indigo",
        dry_run=True,
        filename="titres.txt",
        file_sha256="0" * 64,
        state=ImportBatch.State.DONE,
        created_by=staff_user,
    )
    ImportIssue.objects.create(batch=batch, line_no=3, field="MONTANT", value="12A", message="Montant non numérique")
    return batch


def page_urls(batch, debt):
    return [
        "/gestion/",
        "/gestion/imports/",
        "/gestion/imports/nouveau/",
        f"/gestion/imports/{batch.pk}/",
        f"/gestion/imports/{batch.pk}/etat/",
        f"/gestion/imports/{batch.pk}/rapport.csv",
        "/gestion/dettes/",
        f"/gestion/dettes/{debt.pk}/",
        f"/gestion/dettes/{debt.pk}/annuler/",
        f"/gestion/dettes/{debt.pk}/marquer-payee/",
    ]


def post_urls(batch, debt):
    return [
        "/gestion/imports/nouveau/",
        f"/gestion/imports/{batch.pk}/confirmer/",
        f"/gestion/dettes/{debt.pk}/annuler/",
        f"/gestion/dettes/{debt.pk}/marquer-payee/",
    ]


# --- Staff login everywhere ---------------------------------------------------------------


def test_anonymous_is_sent_to_the_login_page_from_every_page(client, batch):
    debt = DebtFactory()
    for url in page_urls(batch, debt):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{LOGIN}?next="), url
        assert response["Location"] == f"{LOGIN}?next={url}", url


def test_citizen_is_sent_to_the_login_page_from_every_page(citizen, batch):
    debt = DebtFactory()
    for url in page_urls(batch, debt):
        response = citizen.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{LOGIN}?next="), url


@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_posts_without_staff_login_change_nothing(client, batch, who):
    if who == "citizen":
        client.force_login(get_user_model().objects.create_user("usager", password="x-usager-x"))
    debt = DebtFactory()
    for url in post_urls(batch, debt):
        response = client.post(url, {"reason": "essai"})
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), url
    debt.refresh_from_db()
    assert debt.state == Debt.State.OPEN
    assert not DebtEvent.objects.exists()
    assert ImportBatch.objects.count() == 1


def test_inactive_staff_member_is_refused(client, batch):
    user = staff_member("ancien", "x-ancien-x", is_active=False)
    client.force_login(user)
    response = client.get("/gestion/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_staff_sees_every_page(staff, batch):
    debt = DebtFactory()
    for url in page_urls(batch, debt):
        response = staff.get(url)
        assert response.status_code == 200, url


def test_the_login_page_is_the_staff_login_and_leads_back(client, staff_user):
    # The admin's login URL now serves the portal's own throttled staff login (staff.auth).
    response = client.get("/gestion/imports/", follow=True)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert "Connexion à la gestion" in response.text and "Django" not in response.text
    response = client.post(
        f"{LOGIN}?next=/gestion/imports/",
        {"username": "agent", "password": "mot-de-passe-agent", "next": "/gestion/imports/"},
    )
    assert response.status_code == 302 and response["Location"] == "/gestion/imports/"
    assert client.get("/gestion/imports/").status_code == 200


def test_gestion_link_in_the_menu_only_for_staff(client, staff_user):
    assert 'href="/gestion/"' not in client.get("/").text
    client.force_login(get_user_model().objects.create_user("usager", password="x-usager-x"))
    assert 'href="/gestion/"' not in client.get("/").text
    client.force_login(staff_user)
    assert 'href="/gestion/"' in client.get("/").text


def test_home_links_to_the_staff_pages(staff):
    text = staff.get("/gestion/").text
    for url in ("/gestion/imports/nouveau/", "/gestion/imports/", "/gestion/dettes/", "/gestion/admin/"):
        assert f'href="{url}"' in text


@pytest.mark.parametrize(
    "url",
    [
        "/gestion/imports/999999/",
        "/gestion/imports/999999/etat/",
        "/gestion/imports/999999/rapport.csv",
        "/gestion/dettes/999999/",
        "/gestion/dettes/999999/annuler/",
        "/gestion/dettes/999999/marquer-payee/",
    ],
)
def test_unknown_id_is_404(staff, url):
    assert staff.get(url).status_code == 404


def test_unknown_id_on_post_is_404(staff):
    assert staff.post("/gestion/imports/999999/confirmer/").status_code == 404
    assert staff.post("/gestion/dettes/999999/annuler/", {"reason": "x"}).status_code == 404


def test_wrong_methods_are_refused(staff, batch):
    assert staff.get(f"/gestion/imports/{batch.pk}/confirmer/").status_code == 405
    assert staff.post("/gestion/dettes/").status_code == 405


# --- Batches list -----------------------------------------------------------------------------


def test_batches_list_shows_each_batch_with_its_counts(staff, staff_user):
    tipi_client = TipiClientFactory(label="Cantine de Saint-Étienne")
    ImportBatch.objects.create(
        client=tipi_client,
        fmt="indigo",
        mode="partial",
        dry_run=False,
        filename="titres-mars.txt",
        file_sha256="a" * 64,
        state=ImportBatch.State.DONE,
        records_read=1234,
        imported=1200,
        identical=30,
        rejected=4,
        created_by=staff_user,
    )
    text = staff.get("/gestion/imports/").text
    row = re.search(r"<tr>\s*<td><a href=\"/gestion/imports/\d+/\">.*?</tr>", text, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[1:] == [
        f"Cantine de Saint-Étienne ({tipi_client.numcli})",
        "titres-mars.txt",
        "INDIGO",
        "Partielle",
        "Non",
        "Terminé",
        "1234",
        "1200",
        "30",
        "4",
        "agent",
    ]


def test_batches_list_is_paginated_with_constant_queries(staff, staff_user):
    tipi_client = TipiClientFactory()

    def make(count, start):
        ImportBatch.objects.bulk_create(
            ImportBatch(
                client=tipi_client,
                fmt="indigo",
                dry_run=True,
                filename=f"f{n}.txt",
                file_sha256=f"{n:064d}",
                created_by=staff_user,
            )
            for n in range(start, start + count)
        )

    make(3, 0)
    with CaptureQueriesContext(connection) as few:
        staff.get("/gestion/imports/")
    make(60, 100)
    with CaptureQueriesContext(connection) as many:
        response = staff.get("/gestion/imports/")
    assert len(many) == len(few)
    assert response.text.count('<td><a href="/gestion/imports/') == 50
    assert "Page 1 sur 2" in response.text
    second = staff.get("/gestion/imports/?page=2").text
    assert second.count('<td><a href="/gestion/imports/') == 13


# --- Debts list --------------------------------------------------------------------------------


def debt_rows(response) -> list[str]:
    return re.findall(r'<a href="/gestion/dettes/\d+/">([^<]+)</a>', response.text)


def test_debts_list_columns(staff):
    debt = DebtFactory(amount_cents=123456, debtor_name="LEBŒUF Hélène", debtor_ref="D0000042", label="Cantine mars")
    text = staff.get("/gestion/dettes/").text
    for expected in (
        debt.refdet,
        "LEBŒUF Hélène",
        "D0000042",
        "Cantine mars",
        "1\u202f234,56\u00a0€",
        debt.online_until.strftime("%d/%m/%Y"),
        "À payer",
    ):
        assert expected in text
    assert "Non payable par carte" not in text


def test_debts_list_marks_amounts_a_card_cannot_pay(staff):
    big = DebtFactory(amount_cents=150_000)
    small = DebtFactory(amount_cents=99)
    DebtFactory(amount_cents=149_999)
    DebtFactory(amount_cents=100)
    text = staff.get("/gestion/dettes/").text
    assert text.count("Non payable par carte (M2 : montant ≥ 1 500 €)") == 1
    assert text.count("Non payable par carte (M3 : montant &lt; 1 €)") == 1
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(r'<tr>\s*<td><a href="/gestion/dettes/\d+/">([^<]+)</a>.*?</tr>', text, re.S)
    }
    assert "M2" in rows[big.refdet] and "M3" in rows[small.refdet]
    assert staff.get(f"/gestion/dettes/{big.pk}/").text.count("Non payable par carte (M2 : montant ≥ 1 500 €)") == 1


def test_debts_list_filters(staff):
    today = timezone.localdate()
    cantine = TipiClientFactory(label="Cantine")
    eau = TipiClientFactory(label="Eau")
    online = DebtFactory(client=cantine, debtor_name="MARTIN Élodie", debtor_ref="D1")
    expired = DebtFactory(
        client=cantine,
        debtor_ref="D2",
        debtor_name="DUBOIS Jean",
        online_from=today - datetime.timedelta(days=90),
        online_until=today - datetime.timedelta(days=1),
    )
    later = DebtFactory(
        client=eau,
        debtor_ref="D1",
        debtor_name="MARTIN Élodie",
        online_from=today + datetime.timedelta(days=1),
        online_until=today + datetime.timedelta(days=61),
    )
    paid = DebtFactory(client=eau, debtor_ref="D3", debtor_name="GARÇON Loïc", state=Debt.State.PAID)

    def found(**params):
        return set(debt_rows(staff.get("/gestion/dettes/", params)))

    assert found() == {online.refdet, expired.refdet, later.refdet, paid.refdet}
    assert found(client=cantine.pk) == {online.refdet, expired.refdet}
    assert found(state="paid") == {paid.refdet}
    assert found(online="online") == {online.refdet, paid.refdet}
    assert found(online="expired") == {expired.refdet}
    assert found(online="not_yet") == {later.refdet}
    assert found(debtor_ref="D1") == {online.refdet, later.refdet}
    assert found(q="martin") == {online.refdet, later.refdet}
    assert found(q="GARÇON") == {paid.refdet}
    assert found(q=paid.ref_parts["numtitre"]) == {paid.refdet}
    assert found(client=eau.pk, debtor_ref="D1", online="not_yet") == {later.refdet}
    assert found(q="personne") == set()
    # An unknown value is reported and that filter is not applied.
    response = staff.get("/gestion/dettes/", {"state": "n'importe", "client": cantine.pk})
    assert "Un filtre est incorrect" in response.text
    assert set(debt_rows(response)) == {online.refdet, expired.refdet}


def test_debts_list_is_paginated_by_50_keeping_the_filters(staff):
    cantine = TipiClientFactory(label="Cantine")
    DebtFactory.create_batch(55, client=cantine)
    DebtFactory(client=TipiClientFactory(label="Eau"))
    first = staff.get("/gestion/dettes/", {"client": cantine.pk})
    assert len(debt_rows(first)) == 50
    assert "Dettes (55 au total, page 1 sur 2)" in first.text
    assert f'href="?client={cantine.pk}&amp;page=2"' in first.text
    second = staff.get("/gestion/dettes/", {"client": cantine.pk, "page": 2})
    assert len(debt_rows(second)) == 5
    assert not set(debt_rows(first)) & set(debt_rows(second))


def test_debts_list_query_count_does_not_grow_with_rows(staff):
    cantine = TipiClientFactory()
    DebtFactory.create_batch(2, client=cantine)
    with CaptureQueriesContext(connection) as few:
        staff.get("/gestion/dettes/", {"q": "", "client": ""})
    for _ in range(3):
        DebtFactory.create_batch(15, client=TipiClientFactory())
    with CaptureQueriesContext(connection) as many:
        response = staff.get("/gestion/dettes/", {"q": "", "client": ""})
    assert len(debt_rows(response)) == 47
    assert len(many) == len(few)


# --- Debt detail -----------------------------------------------------------------------------


def test_debt_detail_shows_everything_staff_need(staff, staff_user):
    debt = DebtFactory(
        amount_cents=3808,
        debtor_name="MME LEFÈVRE Marie",
        debtor_ref="D0000077",
        debtor_address="12 RUE DE L'ÉGLISE\n42000 SAINT-ÉTIENNE",
        label="Cantine de mars",
        raw_record="1104200 <titre> LEFÈVRE",
    )
    debtor = DebtorReference.objects.create(client=debt.client, reference="D0000077", access_code="ABCDEFGH23")
    transaction = TransactionFactory(
        debt=debt, numauto="123456", dattrans=datetime.date(2026, 11, 22), state="paid", saisie="A"
    )
    ReturnNotice.objects.create(body=b"x", transaction=transaction, outcome=ReturnNotice.Outcome.APPLIED)
    DebtEvent.objects.create(
        debt=debt, action="mark_paid", state_before="open", state_after="paid", reason="Vu dans Hélios", user=staff_user
    )
    response = staff.get(f"/gestion/dettes/{debt.pk}/")
    text = response.text
    for expected in (
        debt.refdet,
        "38,08\u00a0€",
        "MME LEFÈVRE Marie",
        "12 RUE DE L&#x27;ÉGLISE<br>42000 SAINT-ÉTIENNE",
        "D0000077",
        '<code id="access-code">ABCDEFGH23</code>',
        "Cantine de mars",
        '<pre class="raw"',
        "1104200 &lt;titre&gt; LEFÈVRE</pre>",
        "Compte usager",
        "123456",
        "22/11/2026",
        "Payée",
        "Appliqué, reçu le",
        "agent",
        "Marquée payée",
        "À payer → Payée",
        "Vu dans Hélios",
        debt.online_from.strftime("%d/%m/%Y"),
        debt.online_until.strftime("%d/%m/%Y"),
    ):
        assert expected in text, expected
    assert debtor.access_code in text


def test_debt_detail_query_count_does_not_grow_with_transactions(staff, staff_user):
    debt = DebtFactory()
    TransactionFactory(debt=debt)
    with CaptureQueriesContext(connection) as few:
        staff.get(f"/gestion/dettes/{debt.pk}/")
    for _ in range(4):
        transaction = TransactionFactory(debt=debt)
        ReturnNotice.objects.create(body=b"x", transaction=transaction)
        ReturnNotice.objects.create(body=b"y", transaction=transaction)
        DebtEvent.objects.create(
            debt=debt, action="cancel", state_before="open", state_after="cancelled", reason="r", user=staff_user
        )
    with CaptureQueriesContext(connection) as many:
        staff.get(f"/gestion/dettes/{debt.pk}/")
    assert len(many) == len(few)


def test_debt_detail_finds_the_access_code_by_reference_when_not_linked(staff):
    debt = DebtFactory(debtor_ref="D0000099")
    DebtorReference.objects.create(client=debt.client, reference="D0000099", access_code="ZZZZYYYY22")
    DebtorReference.objects.create(client=TipiClientFactory(), reference="D0000099", access_code="WRONGCLI33")
    text = staff.get(f"/gestion/dettes/{debt.pk}/").text
    assert "ZZZZYYYY22" in text and "WRONGCLI33" not in text


# --- Actions on a debt -------------------------------------------------------------------------


def test_cancel_asks_for_a_reason_then_cancels_with_an_audit_record(staff, staff_user):
    debt = DebtFactory()
    page = staff.get(f"/gestion/dettes/{debt.pk}/annuler/")
    assert debt.refdet in page.text and '<textarea name="reason"' in page.text and "required" in page.text

    refused = staff.post(f"/gestion/dettes/{debt.pk}/annuler/", {"reason": "   "})
    assert refused.status_code == 400
    assert "Indiquez le motif" in refused.text
    debt.refresh_from_db()
    assert debt.state == Debt.State.OPEN and not DebtEvent.objects.exists()

    response = staff.post(
        f"/gestion/dettes/{debt.pk}/annuler/", {"reason": "Titre annulé par le comptable"}, follow=True
    )
    assert response.redirect_chain == [(f"/gestion/dettes/{debt.pk}/", 302)]
    assert "Dette annulée." in response.text
    debt.refresh_from_db()
    assert debt.state == Debt.State.CANCELLED
    event = DebtEvent.objects.get()
    assert (event.debt, event.action, event.state_before, event.state_after, event.reason, event.user) == (
        debt,
        "cancel",
        "open",
        "cancelled",
        "Titre annulé par le comptable",
        staff_user,
    )
    assert "Titre annulé par le comptable" in response.text and "À payer → Annulée" in response.text
    # Cancelled: no more action offered.
    assert f"/gestion/dettes/{debt.pk}/annuler/" not in response.text


def test_second_cancel_is_refused_with_a_message(staff):
    debt = DebtFactory()
    staff.post(f"/gestion/dettes/{debt.pk}/annuler/", {"reason": "Erreur de saisie"}, follow=True)
    response = staff.post(f"/gestion/dettes/{debt.pk}/annuler/", {"reason": "Encore"}, follow=True)
    assert response.redirect_chain == [(f"/gestion/dettes/{debt.pk}/", 302)]
    assert "Seule une dette à payer ou en cours de validation peut être annulée." in response.text
    assert "Dette annulée." not in response.text
    assert DebtEvent.objects.count() == 1


def test_mark_paid_an_in_progress_debt(staff, staff_user):
    debt = DebtFactory(state=Debt.State.IN_PROGRESS)
    assert "Marquer la dette payée" in staff.get(f"/gestion/dettes/{debt.pk}/marquer-payee/").text
    response = staff.post(f"/gestion/dettes/{debt.pk}/marquer-payee/", {"reason": "Rapprochement Hélios"}, follow=True)
    assert "Dette marquée payée." in response.text
    debt.refresh_from_db()
    assert debt.state == Debt.State.PAID
    event = DebtEvent.objects.get()
    assert (event.action, event.state_before, event.state_after, event.user) == (
        "mark_paid",
        "in_progress",
        "paid",
        staff_user,
    )
    again = staff.post(f"/gestion/dettes/{debt.pk}/marquer-payee/", {"reason": "Deux fois"}, follow=True)
    assert "La dette est déjà payée." in again.text  # the reconciliation's words: one rule, one message
    assert DebtEvent.objects.count() == 1


def test_cancelling_a_paid_debt_is_refused(staff):
    debt = DebtFactory(state=Debt.State.PAID)
    response = staff.post(f"/gestion/dettes/{debt.pk}/annuler/", {"reason": "Essai"}, follow=True)
    assert "Seule une dette à payer ou en cours de validation peut être annulée." in response.text
    debt.refresh_from_db()
    assert debt.state == Debt.State.PAID and not DebtEvent.objects.exists()


# --- Linking citizens' accounts, access codes of an import (issue 5) ---------------------------


def test_staff_link_and_unlink_an_account_from_the_debt_page(client, django_user_model):
    from debts.models import ReferenceLink
    from tests.factories import DebtFactory, DebtorReferenceFactory, UserFactory

    staff = staff_member("agent", "x", email="agent@example.fr")
    client.force_login(staff)
    debtor = DebtorReferenceFactory()
    debt = DebtFactory(client=debtor.client, debtor=debtor)
    citizen = UserFactory(email="Camille.Noel@example.fr")
    response = client.post(f"/gestion/dettes/{debt.pk}/rattacher/", {"email": "camille.noel@example.fr"}, follow=True)
    link = ReferenceLink.objects.get(user=citizen, debtor=debtor)
    assert link.linked_by == staff
    assert "camille.noel@example.fr".lower() in response.content.decode().lower()
    response = client.post(f"/gestion/dettes/{debt.pk}/rattacher/", {"email": "inconnu@example.fr"}, follow=True)
    assert "Aucun compte usager n" in response.content.decode()
    client.post(f"/gestion/dettes/{debt.pk}/rattachements/{link.pk}/retirer/")
    assert not ReferenceLink.objects.exists()


def test_citizen_cannot_link_through_staff_pages(client):
    from tests.factories import DebtFactory, DebtorReferenceFactory, UserFactory

    debtor = DebtorReferenceFactory()
    debt = DebtFactory(client=debtor.client, debtor=debtor)
    citizen = UserFactory()
    client.force_login(citizen)
    response = client.post(f"/gestion/dettes/{debt.pk}/rattacher/", {"email": citizen.email})
    assert response.status_code == 302 and "/gestion/admin/login/" in response["Location"]
    assert not citizen.reference_links.exists()


def test_access_codes_of_an_import_as_csv(client, django_user_model, tmp_path):
    from debts.models import DebtorReference
    from debts.services.imports import debts_import, import_batch_create
    from tests.factories import RolmreClientFactory
    from tests.integration.debts.services.test_imports import rolmre_line, write

    staff = staff_member("agent", "x", email="agent@example.fr")
    client.force_login(staff)
    water = RolmreClientFactory()
    lines = [
        rolmre_line("0000000000001", 100, "=Élodie", rolcli="CLI1"),
        rolmre_line("0000000000002", 200, "=Élodie", rolcli="CLI1"),
        rolmre_line("0000000000003", 300, "Jean", rolcli="CLI2"),
    ]
    path = write(tmp_path, lines)
    batch = debts_import(batch=import_batch_create(client=water, fmt="rolmre", path=path, filename="eau.txt"))
    response = client.get(f"/gestion/imports/{batch.pk}/codes-acces.csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = text.lstrip("\ufeff").strip().split("\r\n")
    assert rows[0] == "référence débiteur;nom;adresse;code d'accès"
    assert len(rows) == 3  # one line per debtor, not per debt
    code = DebtorReference.objects.get(reference="CLI1").access_code
    assert rows[1].startswith("CLI1;'=Élodie;") and rows[1].endswith(code)
