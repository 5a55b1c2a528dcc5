"""The public manual-entry form: every control before anything leaves, then the payment page."""

import datetime
import html
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from django.utils import timezone

from debts.models import Debt
from payments.models import Transaction
from tests.factories import DebtFactory, RolmreClientFactory, TipiClientFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def form_data(debt=None, **overrides):
    parts = debt.ref_parts if debt else {"codexer": "2026", "numtitre": "00000042", "numordre": "000001"}
    data = {
        "exercice": parts.get("codexer") or parts.get("rolex"),
        "numero": (parts.get("numtitre") or parts.get("roldet", "")).lstrip("0"),
        "ordre": parts.get("numordre", ""),
        "montant": f"{debt.amount_cents // 100},{debt.amount_cents % 100:02d}" if debt else "38,08",
        "email": "marie.lefevre@example.fr",
        "email_confirm": "marie.lefevre@example.fr",
    }
    data.update(overrides)
    return data


def test_single_client_goes_straight_to_its_form(client):
    tipi_client = TipiClientFactory()
    response = client.get("/payer/")
    assert response.status_code == 302
    assert response["Location"] == f"/payer/{tipi_client.numcli}/"


def test_several_clients_are_offered(client):
    TipiClientFactory(label="Cantine"), TipiClientFactory(label="Eau")
    response = client.get("/payer/")
    assert response.status_code == 200
    assert "Cantine" in response.text and "Eau" in response.text


def test_known_debt_starts_a_transaction_and_shows_the_pay_page(client, settings):
    settings.TIPI_BASE_URL = "https://tipi.example"
    settings.PORTAL_PUBLIC_URL = "https://portail.example"
    debt = DebtFactory(amount_cents=3808)
    response = client.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    assert response.status_code == 302
    transaction = Transaction.objects.get()
    assert response["Location"] == f"/paiement/{transaction.public_id}/"
    assert transaction.debt == debt and transaction.saisie == "M" and transaction.amount_cents == 3808
    url = urlsplit(transaction.url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://tipi.example/tpa/paiement.web"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query == {
        "numcli": debt.client.numcli,
        "refdet": debt.refdet,
        "objet": transaction.token,
        "montant": "3808",
        "urlcl": "https://portail.example/tipi/retour/",
        "mel": "marie.lefevre@example.fr",
        "saisie": "M",
    }
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert transaction.url.replace("&", "&amp;") in page.text
    assert "Autorisez les fenêtres pop-up" in page.text


def test_amount_typed_with_comma_or_point(client):
    debt = DebtFactory(amount_cents=123450)
    for typed in ("1 234,50", "1234.5", "1234,50 €"):
        Transaction.objects.all().delete()
        response = client.post(f"/payer/{debt.client.numcli}/", form_data(debt, montant=typed))
        assert response.status_code == 302, typed


def test_amount_differs_from_held_debt_m4(client):
    debt = DebtFactory(amount_cents=3808)
    response = client.post(f"/payer/{debt.client.numcli}/", form_data(debt, montant="38,00"))
    assert response.status_code == 200
    assert "Ce montant ne correspond pas à la référence saisie" in html.unescape(response.text)
    assert not Transaction.objects.exists()


def test_wrong_amount_on_the_portals_form_names_no_button_of_tipis_window(client):
    """M4's manual text says to click "Fermer la fenêtre", which only TIPI's pop-up has."""
    debt = DebtFactory(amount_cents=3808)
    page = html.unescape(client.post(f"/payer/{debt.client.numcli}/", form_data(debt, montant="38,00")).text)
    assert "Fermer la fenêtre" not in page
    assert "Corrigez-le : recopiez le montant indiqué sur votre Avis des Sommes à Payer." in page


def test_debt_in_progress_is_refused_r6_with_its_date(client):
    debt = DebtFactory(state=Debt.State.IN_PROGRESS)
    TransactionFactory(debt=debt, state="paid", resultrans="P", dattrans=datetime.date(2026, 11, 20))
    response = client.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    assert "Cette dette a déjà été réglée par Internet le : 20/11/2026" in html.unescape(response.text)
    assert Transaction.objects.count() == 1


def test_expired_debt_r7(client):
    today = timezone.localdate()
    debt = DebtFactory(online_from=today - datetime.timedelta(days=90), online_until=today - datetime.timedelta(days=1))
    response = client.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    assert "Le délai pour payer cette dette sur Internet est expiré" in html.unescape(response.text)
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    ("montant", "text"),
    [
        (
            "1500,00",
            "nous n'acceptons pas les paiements par Carte bancaire sur Internet d'un montant supérieur ou égal à 1500,00",
        ),
        ("0,99", "Nous n'acceptons pas le paiement par Carte Bancaire sur Internet des dettes inférieures à 1"),
        ("abc", "Saisissez le montant en euros"),
    ],
)
def test_amount_bounds_m2_m3_and_format(client, montant, text):
    tipi_client = TipiClientFactory()
    response = client.post(f"/payer/{tipi_client.numcli}/", form_data(montant=montant))
    assert text in html.unescape(response.text)
    assert not Transaction.objects.exists()


def test_unknown_debt_goes_to_tipi_by_default(client):
    tipi_client = TipiClientFactory()
    response = client.post(f"/payer/{tipi_client.numcli}/", form_data())
    assert response.status_code == 302
    assert Transaction.objects.get().debt is None


def test_unknown_debt_refused_when_client_accepts_only_known_debts(client):
    tipi_client = TipiClientFactory(accept_only_known_debts=True)
    response = client.post(f"/payer/{tipi_client.numcli}/", form_data())
    assert "La référence de la dette n'est pas reconnue" in html.unescape(response.text)
    assert not Transaction.objects.exists()


def test_emails_must_match_and_be_valid(client):
    tipi_client = TipiClientFactory()
    response = client.post(f"/payer/{tipi_client.numcli}/", form_data(email_confirm="autre@example.fr"))
    assert "Les deux adresses électroniques ne sont pas identiques." in html.unescape(response.text)
    response = client.post(
        f"/payer/{tipi_client.numcli}/", form_data(email="pas-une-adresse", email_confirm="pas-une-adresse")
    )
    assert "Saisissez une adresse électronique valide." in html.unescape(response.text)
    assert not Transaction.objects.exists()


def test_reference_with_letters_is_refused_next_to_its_field(client):
    tipi_client = TipiClientFactory()
    response = client.post(f"/payer/{tipi_client.numcli}/", form_data(numero="12A4"))
    assert "Saisissez uniquement des chiffres" in html.unescape(response.text)
    assert 'id="id_numero_erreur"' in html.unescape(response.text)


def test_inactive_client_is_not_offered(client):
    tipi_client = TipiClientFactory(state="inactive")
    assert client.get(f"/payer/{tipi_client.numcli}/").status_code == 404


def test_new_client_is_refused_t5(client):
    tipi_client = TipiClientFactory(state="new")
    response = client.post(f"/payer/{tipi_client.numcli}/", form_data())
    assert "Cette dette ne peut actuellement pas être payée par Internet" in html.unescape(response.text)


def test_water_bill_reference_gets_code_recette_and_00(client):
    tipi_client = RolmreClientFactory(code_recette="EA")
    response = client.post(
        f"/payer/{tipi_client.numcli}/", form_data(exercice="2026", numero="8698509103613", ordre="")
    )
    assert response.status_code == 302
    assert Transaction.objects.get().refdet == "2026EA008698509103613"


def test_water_bill_whose_roldeb_is_not_00_is_payable_manually(client):
    # Annex 4, ROLMRE EAU: "si ROLDEB est renseigné prendre la valeur existante sinon 00".
    tipi_client = RolmreClientFactory(code_recette="EA")
    debt = DebtFactory(
        client=tipi_client, ref_parts={"rolex": "2026", "rolrec": "EA", "roldeb": "05", "roldet": "8698509103613"}
    )
    assert debt.refdet == "2026EA058698509103613"
    response = client.post(
        f"/payer/{tipi_client.numcli}/", form_data(debt, exercice="2026", numero="8698509103613", debut="05", ordre="")
    )
    assert response.status_code == 302
    assert Transaction.objects.get().debt == debt


def test_water_bill_form_offers_roldeb_with_00_by_default(client):
    tipi_client = RolmreClientFactory(code_recette="EA")
    page = html.unescape(client.get(f"/payer/{tipi_client.numcli}/").text)
    assert "Code de début de facture" in page and 'name="debut"' in page and 'value="00"' in page
    response = client.post(f"/payer/{tipi_client.numcli}/", form_data(exercice="2026", numero="1", debut="5x"))
    assert "Saisissez uniquement des chiffres (2 au plus)." in html.unescape(response.text)


def test_payment_page_is_private_to_the_session(client):
    debt = DebtFactory()
    response = client.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    public_id = Transaction.objects.get().public_id
    assert client.get(response["Location"]).status_code == 200
    other = type(client)()
    assert other.get(f"/paiement/{public_id}/").status_code == 404
    assert other.get(f"/paiement/{public_id}/statut/").status_code == 404


def test_status_json_follows_the_transaction(client):
    debt = DebtFactory()
    client.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    transaction = Transaction.objects.get()
    assert client.get(f"/paiement/{transaction.public_id}/statut/").json()["state"] == "pending"
    Transaction.objects.filter(pk=transaction.pk).update(state="paid", resultrans="P")
    status = client.get(f"/paiement/{transaction.public_id}/statut/").json()
    assert status == {
        "state": "paid",
        "means": "card",
        "message": "Paiement CB par Internet en cours de validation",
        "final": True,
        "retry": False,
    }


@pytest.mark.parametrize(
    ("state", "resultrans", "message", "retry"),
    [
        ("paid", "V", "Paiement par prélèvement en cours de validation", False),
        ("refused", "Z", "Prélèvement refusé : aucune somme ne sera prélevée. Vous pouvez réessayer.", True),
    ],
)
def test_status_json_names_the_debit(client, state, resultrans, message, retry):
    debt = DebtFactory()
    client.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    transaction = Transaction.objects.get()
    Transaction.objects.filter(pk=transaction.pk).update(state=state, resultrans=resultrans)
    status = client.get(f"/paiement/{transaction.public_id}/statut/").json()
    assert status == {"state": state, "means": "debit", "message": message, "final": True, "retry": retry}
    page = client.get(f"/paiement/{transaction.public_id}/")
    assert message in page.text


def test_retry_after_refusal_starts_a_new_attempt(client):
    debt = DebtFactory()
    client.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    first = Transaction.objects.get()
    Transaction.objects.filter(pk=first.pk).update(state="refused", resultrans="R")
    response = client.post(f"/paiement/{first.public_id}/nouvel-essai/")
    second = Transaction.objects.exclude(pk=first.pk).get()
    assert response["Location"] == f"/paiement/{second.public_id}/"
    assert second.debt == debt and second.token != first.token


def test_new_attempt_abandons_the_pending_one(client):
    debt = DebtFactory()
    client.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    client.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    states = sorted(Transaction.objects.values_list("state", flat=True))
    assert states == ["abandoned", "pending"]


def test_new_attempt_from_another_session_leaves_the_pending_one_live(client):
    debt = DebtFactory()
    client.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    first = Transaction.objects.get()
    type(client)().post(f"/payer/{debt.client.numcli}/", form_data(debt))
    states = sorted(Transaction.objects.values_list("state", flat=True))
    assert states == ["pending", "pending"]
    assert client.get(f"/paiement/{first.public_id}/statut/").json()["state"] == "pending"


def test_retry_of_a_pending_attempt_abandons_it_and_no_one_elses(client):
    debt = DebtFactory()
    other = type(client)()
    other.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    others = Transaction.objects.get()
    client.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    own = Transaction.objects.exclude(pk=others.pk).get()
    assert client.post(f"/paiement/{own.public_id}/nouvel-essai/").status_code == 302
    own.refresh_from_db(), others.refresh_from_db()
    assert own.state == Transaction.State.ABANDONED
    assert others.state == Transaction.State.PENDING


def test_wrong_amount_on_a_paid_debt_says_m4_only_without_its_date(client):
    debt = DebtFactory(state=Debt.State.IN_PROGRESS, amount_cents=3808)
    TransactionFactory(debt=debt, state="paid", resultrans="P", dattrans=datetime.date(2026, 11, 20))
    response = client.post(f"/payer/{debt.client.numcli}/", form_data(debt, montant="38,00"))
    page = html.unescape(response.text)
    assert "Ce montant ne correspond pas à la référence saisie" in page
    assert "déjà été réglée" not in page and "20/11/2026" not in page
    assert list(response.context["form"].errors) == ["montant"]


@pytest.mark.parametrize("state", [Debt.State.CANCELLED, Debt.State.PAID])
def test_wrong_amount_on_a_cancelled_or_paid_debt_answers_as_on_an_open_one(client, state):
    debt = DebtFactory(state=state, amount_cents=3808)
    open_debt = DebtFactory(client=debt.client, amount_cents=3808)
    errors = [
        dict(client.post(f"/payer/{d.client.numcli}/", form_data(d, montant="38,00")).context["form"].errors)
        for d in (debt, open_debt)
    ]
    assert errors[0] == errors[1]
    assert list(errors[0]) == ["montant"]


def test_wrong_amount_on_an_expired_or_not_yet_payable_debt_says_m4_only(client):
    today = timezone.localdate()
    expired = DebtFactory(
        amount_cents=3808, online_from=today - datetime.timedelta(days=90), online_until=today - datetime.timedelta(1)
    )
    later = DebtFactory(client=expired.client, amount_cents=3808, online_from=today + datetime.timedelta(days=5))
    for debt in (expired, later):
        page = html.unescape(client.post(f"/payer/{debt.client.numcli}/", form_data(debt, montant="38,00")).text)
        assert "Ce montant ne correspond pas à la référence saisie" in page
        assert "expiré" not in page and "contrôle comptable" not in page


# --- The payment page says what will happen, lets a refused entry be corrected, gives up ------


def _field_values(page: str) -> dict[str, str]:
    tree = lxml.html.fromstring(page)
    return {field.get("name"): field.get("value") or "" for field in tree.xpath("//form[@method='post']//input")}


def test_before_the_click_the_page_says_what_will_happen_not_waiting(client):
    debt = DebtFactory()
    response = client.post(f"/payer/{debt.client.numcli}/", form_data(debt), follow=True)
    status = lxml.html.fromstring(response.text).get_element_by_id("payment-status").text_content()
    assert "la page de paiement sécurisée de la DGFiP s'ouvre dans une nouvelle fenêtre" in status
    assert "En attente" not in status


@pytest.mark.parametrize("state", ["refused", "cancelled"])
def test_after_a_refusal_or_a_cancellation_the_form_comes_back_filled(client, state):
    debt = DebtFactory(amount_cents=123450)
    client.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    attempt = Transaction.objects.get()
    Transaction.objects.filter(pk=attempt.pk).update(state=state, resultrans="R" if state == "refused" else "A")
    page = lxml.html.fromstring(client.get(f"/paiement/{attempt.public_id}/").text)
    link = page.get_element_by_id("correct-link")
    assert link.getparent().getparent().get("hidden") is None  # shown: the attempt is over
    values = _field_values(client.get(link.get("href")).text)
    parts = debt.ref_parts
    assert values["exercice"] == parts["codexer"]
    assert values["numero"] == parts["numtitre"]
    assert values["ordre"] == parts["numordre"]
    assert values["montant"] == "1234,50"
    assert values["email"] == values["email_confirm"] == "marie.lefevre@example.fr"


def test_the_form_is_filled_only_from_an_attempt_of_the_same_session(client):
    debt = DebtFactory()
    client.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    attempt = Transaction.objects.get()
    stranger = type(client)().get(f"/payer/{debt.client.numcli}/?corriger={attempt.public_id}")
    values = _field_values(stranger.text)
    assert values["exercice"] == "" and values["email"] == ""


def test_a_water_bill_attempt_fills_the_invoice_number_back(client):
    tipi_client = RolmreClientFactory()
    debt = DebtFactory(client=tipi_client)
    client.post(f"/payer/{tipi_client.numcli}/", form_data(debt))
    attempt = Transaction.objects.get()
    values = _field_values(client.get(f"/payer/{tipi_client.numcli}/?corriger={attempt.public_id}").text)
    assert values["numero"] == debt.ref_parts["roldet"]
    assert values["exercice"] == debt.ref_parts["rolex"]


def test_a_pending_attempt_never_answered_is_given_up_after_the_setting(client, settings):
    settings.PAYMENT_GIVE_UP_MINUTES = 30
    debt = DebtFactory()
    client.post(f"/payer/{debt.client.numcli}/", form_data(debt))
    attempt = Transaction.objects.get()
    created = timezone.now() - datetime.timedelta(minutes=29)
    Transaction.objects.filter(pk=attempt.pk).update(created_at=created)
    assert client.get(f"/paiement/{attempt.public_id}/statut/").json()["state"] == "pending"
    Transaction.objects.filter(pk=attempt.pk).update(created_at=created - datetime.timedelta(minutes=1))
    status = client.get(f"/paiement/{attempt.public_id}/statut/").json()
    assert status["state"] == "given_up" and status["final"] and status["retry"]
    assert status["message"].startswith("TIPI n'a donné aucune réponse pour ce paiement")
    page = lxml.html.fromstring(client.get(f"/paiement/{attempt.public_id}/").text)
    assert page.get_element_by_id("payment-status").text_content() == status["message"]
    attempt.refresh_from_db()
    assert attempt.state == Transaction.State.PENDING  # a late P is still applied
