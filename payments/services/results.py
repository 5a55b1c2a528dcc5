"""THE writer of a transaction's result, whatever brought it (classic return, PayFiP re-query).

Called with the transaction's row already locked by the caller (`transaction_rows.transaction_lock`
or `transaction_lock_by_id`, inside its database transaction), after the caller has checked that
the result belongs to this transaction (OBJET token and echoed fields, or the idOp's detail).
"""

import datetime
import logging
from dataclasses import dataclass, field

from debts.services.debts import debt_payment_received
from payments.models import ReturnNotice, TipiClient, Transaction
from payments.services.transaction_rows import LockedTransaction, transaction_settle

logger = logging.getLogger(__name__)

Outcome = ReturnNotice.Outcome
RESULT_STATES = {"P": Transaction.State.PAID, "R": Transaction.State.REFUSED, "A": Transaction.State.CANCELLED}

#: Where a result comes from (said in the log of what was not applied).
SOURCE_CLASSIC_RETURN = "classic_return"
SOURCE_PAYFIP_DETAIL = "payfip_detail"


@dataclass(frozen=True)
class ResultApplied:
    """What became of a result: `outcome` is a ReturnNotice.Outcome (applied, duplicate, conflict,
    review), `detail` says why in French for staff, `flags` what staff should look at."""

    outcome: str
    detail: str = ""
    flags: list[str] = field(default_factory=list)


def transaction_result_apply(
    *, transaction: LockedTransaction, resultrans: str, numauto: str, dattrans: datetime.date, source: str
) -> ResultApplied:
    """Apply a result once to a locked transaction, money first.

    A repeat is a no-op (`duplicate`); a contradiction (R or A after P, another NUMAUTO) is not
    applied (`conflict`): money taken is never overturned; a late `P` (after the attempt was
    abandoned or refused) is applied and flagged, since money was taken. A `P` moves the debt to
    "in progress" (`debt_payment_received`) and an activation attempt's `P` activates the client.
    """
    current = transaction.resultrans
    flags: list[str] = []
    if current == resultrans and (resultrans != "P" or transaction.numauto == numauto):
        return ResultApplied(Outcome.DUPLICATE)
    if current == "P":
        # Money was already taken: nothing may overturn it (R/A after P, another NUMAUTO).
        detail = f"{resultrans} (NUMAUTO {numauto or '–'}) après P (NUMAUTO {transaction.numauto})"
        return _not_applied(transaction, Outcome.CONFLICT, detail, flags, source)
    if current and resultrans != "P":
        return _not_applied(transaction, Outcome.CONFLICT, f"{resultrans} après {current}", flags, source)
    if resultrans == "P" and transaction.state != Transaction.State.PENDING:
        # A late P (the user gave up, or a refusal came first): money was taken, apply it.
        flags.append(f"late_after_{transaction.state}")
    if resultrans == "P":
        if transaction.debt_id is not None:
            flags += debt_payment_received(debt_id=transaction.debt_id)
        if transaction.saisie == Transaction.Saisie.ACTIVATION:
            _client_activated(transaction.client_id)
    transaction.flags = sorted(set(transaction.flags) | set(flags))
    transaction_settle(
        transaction, state=RESULT_STATES[resultrans], resultrans=resultrans, numauto=numauto, dattrans=dattrans
    )
    return ResultApplied(Outcome.APPLIED, flags=flags)


def _not_applied(
    transaction: LockedTransaction, outcome: str, detail: str, flags: list[str], source: str
) -> ResultApplied:
    logger.info("transaction %s: result from %s not applied (%s): %s", transaction.id, source, outcome, detail)
    return ResultApplied(outcome, detail, flags)


def _client_activated(client_id: int) -> None:
    """An activation return (SAISIE=X, P): the client becomes active (annex 11), and its history says why."""
    client = TipiClient.objects.select_for_update().get(pk=client_id)
    if client.state == TipiClient.State.NEW:
        client.state = TipiClient.State.ACTIVE
        client._change_reason = TipiClient.ACTIVATED_REASON
        client.save(update_fields=["state"])
