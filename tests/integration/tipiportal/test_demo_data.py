"""`manage.py demo_data` (make run): the references it prints are payable now, every run, even
after a demo payment."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client

from debts.models import Debt
from payments.models import TipiClient, Transaction

pytestmark = pytest.mark.django_db
PRINTED = re.compile(
    r"À payer \((?P<label>.+?), \w+\) : année (?P<year>\d{4}), (?:titre (?P<titre>\d+), ordre (?P<ordre>\d+)|facture (?P<facture>\d+)), montant (?P<amount>[\d  ,]+)\xa0€"
)


@pytest.fixture(autouse=True)
def demo_settings(settings, tmp_path):
    settings.DEBUG = True
    settings.IMPORTS_DIR = tmp_path / "imports"


def demo_run() -> list[dict]:
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    return [match.groupdict() for match in PRINTED.finditer(out.getvalue())]


def pay_by_form(printed: dict) -> int:
    client = TipiClient.objects.get(label=printed["label"])
    form = {
        "exercice": printed["year"],
        "numero": printed["titre"] or printed["facture"],
        "montant": printed["amount"],
        "email": "visiteur@example.fr",
        "email_confirm": "visiteur@example.fr",
    }
    if printed["ordre"]:
        form["ordre"] = printed["ordre"]
    return Client().post(f"/payer/{client.numcli}/", form).status_code


def test_every_printed_reference_starts_a_payment():
    printed = demo_run()
    assert {p["label"] for p in printed} == {"Commune de Démo – Restauration scolaire", "Régie des eaux de Démo"}
    assert len(printed) >= 3
    for reference in printed:
        assert pay_by_form(reference) == 302, reference  # to the payment page: no anomaly


def test_a_debt_paid_in_an_earlier_demo_gives_way_to_a_fresh_payable_bill():
    first = demo_run()
    paid_line = next(p for p in first if p["titre"] == "123")
    debt = Debt.objects.get(refdet__endswith="00000123000001")
    Debt.objects.filter(pk=debt.pk).update(state=Debt.State.IN_PROGRESS)  # paid in the sandbox
    assert pay_by_form(paid_line) == 200  # R6: already paid
    again = demo_run()
    assert not any(p["titre"] == "123" for p in again)
    fresh = next(p for p in again if p["titre"] == "1123")
    assert (fresh["amount"], fresh["label"]) == (paid_line["amount"], paid_line["label"])
    assert pay_by_form(fresh) == 302
    debt.refresh_from_db()
    assert debt.state == Debt.State.IN_PROGRESS  # the paid one is left as it is
    assert Transaction.objects.filter(debt__refdet__endswith="00001123000001").exists()


def test_the_reference_the_readme_links_has_a_payable_debt():
    demo_run()
    payable = Debt.objects.filter(
        debtor_ref="DUPONT01", state=Debt.State.OPEN, amount_cents__gte=100, amount_cents__lt=150_000
    )
    assert any(p["titre"] == "127" for p in demo_run())
    assert payable.filter(refdet__endswith="00000127000001").exists()


REGIE_PRINTED = re.compile(
    r"À payer \((?P<label>Régie [^,]+), FAMLEF01\) : facture (?P<invoice>\S+) \((?P<mode>[^,]+),"
)


def test_a_regie_invoice_paid_in_an_earlier_demo_gives_way_to_a_fresh_one():
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    first = {m["invoice"]: m.groupdict() for m in REGIE_PRINTED.finditer(out.getvalue())}
    assert first["FAC-2026-0042"]["mode"] == "web-service PayFiP"
    assert first["CR20260117"]["mode"] == "URL aller classique"
    Debt.objects.filter(invoice_reference="FAC-2026-0042").update(state=Debt.State.IN_PROGRESS)
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    again = {m["invoice"] for m in REGIE_PRINTED.finditer(out.getvalue())}
    assert "FAC-2026-0042" not in again
    assert {"FAC-2026-0042-2", "CR20260117"} <= again
    fresh = Debt.objects.get(invoice_reference="FAC-2026-0042-2")
    assert fresh.state == Debt.State.OPEN
    assert Debt.objects.get(invoice_reference="FAC-2026-0042").state == Debt.State.IN_PROGRESS
