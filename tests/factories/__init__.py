"""factory_boy factories, one module per app, French data (Faker "fr_FR").

Imported from here by the tests: ``from tests.factories import DebtFactory``.
"""

from tests.factories.accounts import UserFactory, staff_member
from tests.factories.clients import RegieClientFactory, RolmreClientFactory, TipiClientFactory
from tests.factories.debts import DebtFactory, DebtorReferenceFactory, RegieDebtFactory
from tests.factories.payments import TransactionFactory

__all__ = [
    "DebtFactory",
    "DebtorReferenceFactory",
    "RegieClientFactory",
    "RegieDebtFactory",
    "RolmreClientFactory",
    "TipiClientFactory",
    "TransactionFactory",
    "UserFactory",
    "staff_member",
]
