"""RESULTRANS: TIPI's P R A, PayFiP's debit V Z, and the well-formed codes nobody knows yet."""

import pytest

from payments.tipi import (
    RESULTRANS_VALUES,
    Means,
    ResultKind,
    is_well_formed_resultrans,
    numauto_required,
    resultrans_kind,
    resultrans_label,
    resultrans_means,
)


@pytest.mark.parametrize(
    ("code", "kind", "means", "label"),
    [
        ("P", ResultKind.PAID, Means.CARD, "Payée par carte"),
        ("V", ResultKind.PAID, Means.DEBIT, "Payée par prélèvement"),
        ("R", ResultKind.REFUSED, Means.CARD, "Carte refusée"),
        ("Z", ResultKind.REFUSED, Means.DEBIT, "Prélèvement refusé"),
        ("A", ResultKind.CANCELLED, Means.NONE, "Abandonnée par l'usager"),
        ("Q", ResultKind.UNKNOWN, Means.NONE, "Code inconnu « Q » (à vérifier)"),
        ("p", ResultKind.UNKNOWN, Means.NONE, "Code inconnu « p » (à vérifier)"),
    ],
)
def test_each_code_has_its_kind_means_and_label(code, kind, means, label):
    assert resultrans_kind(code) is kind
    assert resultrans_means(code) is means
    assert resultrans_label(code) == label
    assert is_well_formed_resultrans(code)


def test_the_known_codes_are_those_of_tipi_and_payfip():
    assert set(RESULTRANS_VALUES) == {"P", "V", "R", "Z", "A"}


@pytest.mark.parametrize("value", ["", "PP", "1", "É", " ", "-", "P\n"])
def test_only_one_ascii_letter_is_well_formed(value):
    assert not is_well_formed_resultrans(value)


def test_no_result_has_no_label():
    assert resultrans_label("") == ""


@pytest.mark.parametrize(("code", "required"), [("P", True), ("V", False), ("R", False), ("Z", False), ("A", False)])
def test_numauto_is_required_only_on_a_card_payment(code, required):
    assert numauto_required(code) is required
