"""The card-payment amount limits (annex 10, M2/M3) are payments.tipi's, for the URL aller and the debts."""

import pytest

import debts.models
from debts.models import Debt
from payments import tipi
from tests.unit.payments.tipi.tipi_samples import valid_params

EDGES = [
    tipi.MONTANT_MIN - 1,
    tipi.MONTANT_MIN,
    tipi.MONTANT_MAX_EXCLUSIVE - 1,
    tipi.MONTANT_MAX_EXCLUSIVE,
]


def test_the_edges_are_tipi_s():
    assert EDGES == [99, 100, 149_999, 150_000]


@pytest.mark.parametrize("cents", EDGES)
def test_a_debt_is_blocked_exactly_where_the_url_aller_would_be_refused(cents):
    found = tipi.check_url_aller(valid_params(tipi.Protocol.INDIGO, montant=str(cents)), tipi.Protocol.INDIGO)
    refused = [a.code for a in found if a.field == "montant"]
    assert Debt(amount_cents=cents).card_block_code == (refused[0] if refused else None)
    assert tipi.montant_block_code(cents) == Debt(amount_cents=cents).card_block_code


def test_the_debts_declare_no_limits_of_their_own():
    assert not hasattr(debts.models, "MIN_CARD_CENTS")
    assert not hasattr(debts.models, "MAX_CARD_CENTS")
