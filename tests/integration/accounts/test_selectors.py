"""What a citizen's account reads: another account's debt is not found (None), the view says 404."""

import pytest

from accounts.selectors import account_debt_get
from debts.models import Debt, ReferenceLink
from tests.factories import DebtFactory, DebtorReferenceFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_debt_of_the_account_or_none():
    user, other = UserFactory(), UserFactory()
    debtor = DebtorReferenceFactory()
    ReferenceLink.objects.create(user=user, debtor=debtor)
    debt = DebtFactory(client=debtor.client, debtor=debtor, debtor_ref=debtor.reference)
    cancelled = DebtFactory(client=debtor.client, debtor=debtor, state=Debt.State.CANCELLED)
    assert account_debt_get(user, debt.pk) == debt
    assert account_debt_get(other, debt.pk) is None
    assert account_debt_get(user, cancelled.pk) is None
    assert account_debt_get(user, 999_999) is None
