"""Business rules on debts. Every change of a debt's state happens here, row locked."""

import datetime

from django.db import transaction as db_transaction

from debts.models import Debt
from payments.tipi import Anomaly


def debt_payment_anomalies(*, debt: Debt, amount_cents: int, today: datetime.date) -> list[Anomaly]:
    """What TIPI would refuse about paying this debt now (R6, R11, R7, M4), in annex 10's order.

    The portal holds the debt, so it can run these server-side controls itself before
    anything leaves, and tell the user in TIPI's own words.
    """
    protocol = debt.tipi_protocol
    anomalies: list[Anomaly] = []
    if debt.state == Debt.State.CANCELLED:
        anomalies.append(Anomaly("R4", "refdet", protocol))
        return anomalies
    if debt.state in (Debt.State.IN_PROGRESS, Debt.State.PAID):
        anomalies.append(Anomaly("R6", "refdet", protocol))
    if debt.is_not_yet_online(today):
        anomalies.append(Anomaly("R11", "refdet", protocol))
    elif debt.is_expired(today):
        anomalies.append(Anomaly("R7", "refdet", protocol))
    if amount_cents != debt.amount_cents:
        anomalies.append(Anomaly("M4", "montant", protocol))
    return anomalies


def debt_payment_received(*, debt: Debt) -> list[str]:
    """A `P` return arrived for this debt: open → in_progress. Returns flags for staff.

    The caller holds the transaction; the debt row is locked here. A `P` means money was
    taken, so it is never refused: a debt that was not open is flagged instead.
    """
    with db_transaction.atomic():
        debt = Debt.objects.select_for_update().get(pk=debt.pk)
        if debt.state == Debt.State.OPEN:
            debt.state = Debt.State.IN_PROGRESS
            debt.save(update_fields=["state", "updated_at"])
            return []
        return [f"debt_was_{debt.state}"]
