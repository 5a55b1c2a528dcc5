"""The payment page without dead ends, at desktop and 375×740: it says what will happen before the
click; after a cancellation the form comes back filled to correct the reference or the amount."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import VIEWPORTS, serious_violations
from tests.e2e.test_manual_payment_flow import fill_form
from tests.e2e.test_readme_walkthrough import overflowing
from tests.factories import DebtFactory

pytestmark = pytest.mark.django_db(transaction=True)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_before_the_click_then_cancel_then_correct(page, portal, viewport):
    page.set_viewport_size(VIEWPORTS[viewport])
    debt = DebtFactory(amount_cents=3808)
    page.goto(f"{portal}/payer/{debt.client.numcli}/")
    fill_form(page, debt)
    status = page.locator("#payment-status")
    expect(status).to_contain_text("s'ouvre dans une nouvelle fenêtre")
    assert "En attente" not in status.text_content()
    assert fits(page), (viewport, overflowing(page))
    assert serious_violations(page) == [], viewport
    with page.expect_popup() as popup_info:
        page.get_by_role("link", name=re.compile("Payer .* par carte bancaire")).click()
    popup = popup_info.value
    popup.get_by_role("button", name="Annuler").click()
    expect(status).to_contain_text("Vous avez annulé le paiement")
    popup.close()
    page.get_by_role("link", name="Corriger la référence ou le montant").click()
    expect(page.get_by_label("Numéro de titre")).to_have_value(debt.ref_parts["numtitre"])
    expect(page.get_by_label("Montant exact (€)")).to_have_value("38,08")
    assert fits(page), (viewport, overflowing(page))
    assert serious_violations(page) == [], viewport
