"""Issue 13, item 9: the manual form as an oracle.

The public form ran every control on a debt it holds whatever amount was typed: anyone who
typed a reference learnt that the debt was « déjà réglée par Internet le » (and when), expired,
not yet payable (and from when), cancelled, or a public body's. Only the pair reference and
amount, printed together on the bill, earns those texts; with a wrong amount the answer is the
amount's own control, M4 « Ce montant ne correspond pas à la référence saisie », whatever the
debt's state.
"""

import datetime
import html

import pytest
from django.test import Client
from django.utils import timezone

from choruspro.models import PublicBody
from debts.models import Debt
from payments.models import Transaction
from tests.factories import DebtFactory, DebtorReferenceFactory, TransactionFactory

pytestmark = pytest.mark.django_db

# The portal's wording of M4 on its own form (payments.tipi.anomalies.PORTAL_TEXTS).
M4 = "Ce montant ne correspond pas à la référence saisie. Corrigez-le : recopiez le montant indiqué sur votre Avis des Sommes à Payer."
PAID_ON = datetime.date(2026, 11, 20)


def post_form(debt: Debt, amount_cents: int):
    parts = debt.ref_parts
    return Client().post(
        f"/payer/{debt.client.numcli}/",
        {
            "exercice": parts["codexer"],
            "numero": parts["numtitre"].lstrip("0"),
            "ordre": parts["numordre"],
            "montant": f"{amount_cents // 100},{amount_cents % 100:02d}",
            "email": "curieux@example.fr",
            "email_confirm": "curieux@example.fr",
        },
    )


def answer(response) -> tuple[int, dict[str, list[str]]]:
    return response.status_code, {field: list(errors) for field, errors in response.context["form"].errors.items()}


def paid_by_card() -> Debt:
    debt = DebtFactory(state=Debt.State.IN_PROGRESS, amount_cents=3808)
    TransactionFactory(debt=debt, state="paid", resultrans="P", dattrans=PAID_ON)
    return debt


def confirmed_paid() -> Debt:
    debt = DebtFactory(state=Debt.State.PAID, amount_cents=3808)
    TransactionFactory(debt=debt, state="paid", resultrans="P", dattrans=PAID_ON)
    return debt


def expired() -> Debt:
    today = timezone.localdate()
    return DebtFactory(
        amount_cents=3808, online_from=today - datetime.timedelta(days=90), online_until=today - datetime.timedelta(1)
    )


def not_yet_online() -> Debt:
    today = timezone.localdate()
    return DebtFactory(amount_cents=3808, online_from=today + datetime.timedelta(days=12))


def cancelled() -> Debt:
    return DebtFactory(state=Debt.State.CANCELLED, amount_cents=3808)


def public_body() -> Debt:
    debtor = DebtorReferenceFactory()
    PublicBody.objects.create(debtor=debtor, siret="21330063500017")
    return DebtFactory(client=debtor.client, debtor=debtor, debtor_ref=debtor.reference, amount_cents=3808)


HELD = [paid_by_card, confirmed_paid, expired, not_yet_online, cancelled, public_body]


@pytest.mark.parametrize("make", HELD, ids=lambda make: make.__name__)
def test_with_a_wrong_amount_the_answer_is_the_same_whatever_the_debts_state(make):
    debt = make()
    open_debt = DebtFactory(client=debt.client, amount_cents=3808)
    response = post_form(debt, 3800)
    assert answer(response) == answer(post_form(open_debt, 3800)) == (200, {"montant": [M4]})
    page = html.unescape(response.content.decode())
    for revealing in (
        "déjà été réglée",
        PAID_ON.strftime("%d/%m/%Y"),
        "expiré",
        "contrôle comptable",
        (timezone.localdate() + datetime.timedelta(days=12)).strftime("%d/%m/%Y"),
        "n'est pas reconnue",
        "ne peut actuellement pas être payée",
    ):
        assert revealing not in page, revealing
    assert Transaction.objects.filter(debt=debt, state=Transaction.State.PENDING).count() == 0


def test_with_the_right_amount_the_specs_texts_apply():
    debt = paid_by_card()
    page = html.unescape(post_form(debt, 3808).content.decode())
    assert "Cette dette a déjà été réglée par Internet le : 20/11/2026" in page
    assert M4 not in page
    page = html.unescape(post_form(not_yet_online(), 3808).content.decode())
    assert "Vous pourrez payer cette dette à partir du" in page
