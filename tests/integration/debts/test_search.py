"""The staff's debt search ignores case and accents, on SQLite and on PostgreSQL alike
(tipiportal.search: PostgreSQL's unaccent, its Python twin on SQLite)."""

import pytest
from django.utils import timezone

from debts.selectors import debts_for_staff
from tests.factories import DebtFactory

pytestmark = pytest.mark.django_db


def found(**filters) -> set[str]:
    return set(debts_for_staff(today=timezone.localdate(), **filters).values_list("debtor_name", flat=True))


@pytest.fixture
def debtors():
    for name, ref in [
        ("NOËL Jean", "REF0000001"),
        ("LEFÈVRE Marie", "ref0000002"),
        ("ŒUVRAY Chloé", "REF0000003"),
        ("MARTIN Paul", "REF0000004"),
    ]:
        DebtFactory(debtor_name=name, debtor_ref=ref)


@pytest.mark.parametrize("typed", ["Noël", "noel", "NOEL", "noël", "NoËl"])
def test_a_name_is_found_whatever_its_case_and_accents(debtors, typed):
    assert found(search=typed) == {"NOËL Jean"}


@pytest.mark.parametrize(
    ("typed", "name"), [("lefevre", "LEFÈVRE Marie"), ("oeuvray", "ŒUVRAY Chloé"), ("chloe", "ŒUVRAY Chloé")]
)
def test_accents_and_ligatures_of_the_name_are_ignored(debtors, typed, name):
    assert found(search=typed) == {name}


def test_a_search_with_like_wildcards_matches_them_literally(debtors):
    assert found(search="%") == set()
    assert found(search="_") == set()


def test_the_debtor_reference_filter_ignores_case(debtors):
    assert found(debtor_ref="ref0000001") == {"NOËL Jean"}
    assert found(debtor_ref="REF0000002") == {"LEFÈVRE Marie"}
    assert found(debtor_ref="REF00000") == set()  # a reference, not a part of one
