"""Reads on debts."""

from debts.models import Debt
from payments.models import TipiClient


def debt_get_for_client(*, client: TipiClient, refdet: str) -> Debt | None:
    return Debt.objects.select_related("client").filter(client=client, refdet=refdet).first()
