"""A payment by single SEPA debit (PayFiP's V): the citizen's open page says so by itself.

The sandbox's debit button belongs to the sandbox's own work; here PayFiP's server-to-server
return is posted as TIPI posts it, while the citizen's page waits in Chromium.
"""

import os
import urllib.request

import pytest
from playwright.sync_api import expect

from debts.models import Debt
from payments.models import Transaction
from tests.conftest import retour_body
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.test_manual_payment_flow import fill_form
from tests.factories import DebtFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("E2E_SHOTS_DIR", "")  # screenshots for a person to look at, never committed


def post_return(portal, transaction, **fields):
    request = urllib.request.Request(
        f"{portal}/tipi/retour/",
        data=retour_body(transaction, **fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.mark.parametrize(
    ("code", "message", "debt_state"),
    [
        ("V", "Paiement par prélèvement en cours de validation", Debt.State.IN_PROGRESS),
        ("Z", "Prélèvement refusé : aucune somme ne sera prélevée. Vous pouvez réessayer.", Debt.State.OPEN),
    ],
)
def test_a_debit_result_updates_the_waiting_page(page, portal, viewport, code, message, debt_state):
    page.set_viewport_size(VIEWPORTS[viewport])
    debt = DebtFactory(amount_cents=3808)
    page.goto(f"{portal}/payer/{debt.client.numcli}/")
    fill_form(page, debt)
    expect(page.locator("[data-payment]")).to_have_attribute("data-state", "pending")
    post_return(portal, Transaction.objects.get(), resultrans=code, numauto="")
    expect(page.locator("#payment-status")).to_have_text(message, timeout=10_000)
    expect(page.get_by_role("button", name="Réessayer le paiement")).to_be_visible(visible=code == "Z")
    debt.refresh_from_db()
    assert debt.state == debt_state
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/payment-{code}-{viewport}.png", full_page=True)
