"""The REFDET of a régie invoice (protocol 0) derived from its number when it does not fit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.tipi import INVOICE_MAX_LENGTH, Protocol, check_url_aller, compose_refdet, is_valid_refdet, regie_refdet
from tests.unit.payments.tipi.tipi_samples import valid_params


@pytest.mark.parametrize("number", ["FAC001", "FAC2026001", "a1B2c3", "0" * 6, "Z" * 30])
def test_an_invoice_number_that_fits_protocol_0_is_its_own_refdet(number):
    assert regie_refdet(number) == number
    assert regie_refdet(f"  {number} ") == number  # padding of the billing software's export
    assert compose_refdet(Protocol.REGIE, invoice=number) == number


def test_a_number_that_does_not_fit_gets_a_derived_refdet_keeping_its_letters_and_digits():
    derived = regie_refdet("FAC-2026/001")
    assert derived.startswith("FAC2026001") and len(derived) == 10 + 13
    assert is_valid_refdet(Protocol.REGIE, derived)
    assert regie_refdet("FAC-2026/001") == derived  # deterministic


@pytest.mark.parametrize(
    ("number", "refdet"),
    [
        ("FAC-2026/001", "FAC2026001NYY7JOMUROUOO"),
        ("123", "123UZS2IWJAIIXZ2"),
        ("Crèche-2026-0042", "Creche20260042UYJIONHHFWJXN"),
    ],
)
def test_the_derivation_is_pinned(number, refdet):
    # The rule of docs/regie-csv.md, fixed: changing it would orphan every REFDET already sent.
    assert regie_refdet(number) == refdet


@pytest.mark.parametrize(
    "number",
    ["123", "FAC 12", "Crèche-2026-0042", "ÉTÉ2026", "A" * 31, "A" * 40, "---", "№ 12", "facture n°7"],
)
def test_every_kind_of_misfit_is_derived_into_protocol_0_s_format(number):
    refdet = regie_refdet(number)
    assert refdet != number
    assert is_valid_refdet(Protocol.REGIE, refdet)
    assert check_url_aller(valid_params(Protocol.REGIE, refdet=refdet), Protocol.REGIE) == []


def test_numbers_that_only_differ_by_punctuation_or_case_get_different_refdets():
    refdets = {regie_refdet(n) for n in ("FAC-2026-001", "FAC/2026/001", "FAC 2026 001", "fac-2026-001")}
    assert len(refdets) == 4
    # ...and a number that fits keeps its own value, not the one derived from a look-alike.
    assert regie_refdet("FAC2026001") not in refdets


@pytest.mark.parametrize(
    ("number", "message"),
    [("", "missing"), ("   ", "missing"), ("A" * (INVOICE_MAX_LENGTH + 1), "at most 40"), ("FAC\t1", "control")],
)
def test_unusable_invoice_numbers_are_refused(number, message):
    with pytest.raises(ValueError, match=rf"^invoice: .*{message}"):
        regie_refdet(number)


def test_the_refdet_and_the_invoice_number_are_not_both_given():
    with pytest.raises(ValueError, match=r"^refdet: give either"):
        compose_refdet(Protocol.REGIE, refdet="FAC001", invoice="FAC-001")
    with pytest.raises(ValueError, match=r"^invoice: not a REFDET part"):
        compose_refdet(Protocol.INDIGO, invoice="FAC-001")


invoice_numbers = st.text(
    st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn")), min_size=1, max_size=INVOICE_MAX_LENGTH
).filter(lambda s: s.strip())


@settings(deadline=None)
@given(invoice_numbers)
def test_property_every_usable_number_gives_a_valid_stable_refdet(number):
    refdet = regie_refdet(number)
    assert is_valid_refdet(Protocol.REGIE, refdet)
    assert regie_refdet(number) == refdet
    if is_valid_refdet(Protocol.REGIE, number.strip()):
        assert refdet == number.strip()


@settings(deadline=None)
@given(st.lists(invoice_numbers, min_size=2, max_size=30, unique_by=str.strip))
def test_property_distinct_numbers_give_distinct_refdets(numbers):
    assert len({regie_refdet(n) for n in numbers}) == len(numbers)
