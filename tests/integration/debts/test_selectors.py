"""Selectors read: a missing row is None (or the model's DoesNotExist), never an HTTP 404;
the views turn it into a 404."""

import ast
from pathlib import Path

import pytest

from tests.factories import DebtFactory, DebtorReferenceFactory

ROOT = Path(__file__).resolve().parents[3]
APPS = ("tipiportal", "payments", "debts", "accounts", "choruspro", "staff")
HTTP_MODULES = ("django.http", "django.shortcuts")


@pytest.mark.django_db
def test_a_debt_with_its_debtor_or_none():
    from debts.selectors import debt_with_debtor

    debtor = DebtorReferenceFactory()
    debt = DebtFactory(client=debtor.client, debtor=debtor, debtor_ref=debtor.reference)
    assert debt_with_debtor(debt.pk) == (debt, debtor)
    assert debt_with_debtor(999_999) is None
    without = DebtFactory(debtor=None, debtor_ref="")
    assert debt_with_debtor(without.pk) is None


def _selector_and_service_modules():
    for app in APPS:
        base = ROOT / app
        yield from base.glob("selectors.py")
        yield from base.glob("selectors/*.py")
        yield from base.glob("services.py")
        yield from base.glob("services/*.py")


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_selector_or_service_imports_the_http_layer():
    """Not at the top, not inside a function: Http404 and get_object_or_404 belong to views."""
    modules = list(_selector_and_service_modules())
    assert ROOT / "debts" / "selectors.py" in modules and ROOT / "accounts" / "selectors.py" in modules
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in _imported(path) if name.startswith(HTTP_MODULES))
        for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}
