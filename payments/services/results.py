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
from payments.services.confirmations import payment_confirmation_schedule
from payments.services.transaction_rows import LockedTransaction, transaction_settle
from payments.tipi import PAID_RESULTS, ResultKind, resultrans_kind

logger = logging.getLogger(__name__)

Outcome = ReturnNotice.Outcome
KIND_STATES = {
    ResultKind.PAID: Transaction.State.PAID,
    ResultKind.REFUSED: Transaction.State.REFUSED,
    ResultKind.CANCELLED: Transaction.State.CANCELLED,
}

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

    Paid is P (card) or V (single SEPA debit), refused R (card) or Z (debit), A cancelled. A code
    the portal does not know changes nothing (`review`, flagged `unknown_resultrans`): never read
    as a refusal, since PayFiP announces new means of payment. A repeat is a no-op (`duplicate`);
    once paid, nothing else is applied (`conflict`: R, Z, A, the other paid code or another
    NUMAUTO), since money taken is never overturned; after a refusal or a cancellation only a
    paid code is applied. A late paid code (after the attempt was abandoned, refused or
    cancelled) is applied and flagged, since money was taken. A paid code moves the debt to
    "in progress" (`debt_payment_received`) and, on an activation attempt (SAISIE=X), activates
    the client: annex 11 activates on TIPI's receipt of a valid activation URL, the payment
    being fictitious, so a fictitious debit (V) proves the same as a card's P.
    """
    kind = resultrans_kind(resultrans)
    if kind is ResultKind.UNKNOWN:
        detail = (
            f"RESULTRANS « {resultrans} » inconnu du portail (nouveau moyen de paiement ?) : non appliqué ; "
            "vérifiez ce paiement auprès de la DGFiP"
        )
        return _not_applied(transaction, Outcome.REVIEW, detail, ["unknown_resultrans"], source)
    paid = kind is ResultKind.PAID
    current = transaction.resultrans
    flags: list[str] = []
    if current == resultrans and (not paid or transaction.numauto == numauto):
        return ResultApplied(Outcome.DUPLICATE)
    if current in PAID_RESULTS:
        # Money was already taken: nothing may overturn it (a refusal, the other means, another NUMAUTO).
        detail = f"{resultrans} (NUMAUTO {numauto or '–'}) après {current} (NUMAUTO {transaction.numauto or '–'})"
        return _not_applied(transaction, Outcome.CONFLICT, detail, flags, source)
    if current and not paid:
        return _not_applied(transaction, Outcome.CONFLICT, f"{resultrans} après {current}", flags, source)
    if paid and transaction.state != Transaction.State.PENDING:
        # A late payment (the user gave up, or a refusal came first): money was taken, apply it.
        flags.append(f"late_after_{transaction.state}")
    if paid:
        if transaction.debt_id is not None:
            flags += debt_payment_received(debt_id=transaction.debt_id)
        if transaction.saisie == Transaction.Saisie.ACTIVATION:
            _client_activated(transaction.client_id)
    transaction.flags = sorted(set(transaction.flags) | set(flags))
    transaction_settle(transaction, state=KIND_STATES[kind], resultrans=resultrans, numauto=numauto, dattrans=dattrans)
    # The portal's own e-mail, by a task once this commits: never in the return request's path.
    payment_confirmation_schedule(transaction_id=transaction.id, resultrans=resultrans, saisie=transaction.saisie)
    return ResultApplied(Outcome.APPLIED, flags=flags)


def _not_applied(
    transaction: LockedTransaction, outcome: str, detail: str, flags: list[str], source: str
) -> ResultApplied:
    logger.info("transaction %s: result from %s not applied (%s): %s", transaction.id, source, outcome, detail)
    return ResultApplied(outcome, detail, flags)


def _client_activated(client_id: int) -> None:
    """An activation result (SAISIE=X, P or V): the client becomes active (annex 11), and its history says why."""
    client = TipiClient.objects.select_for_update().get(pk=client_id)
    if client.state == TipiClient.State.NEW:
        client.state = TipiClient.State.ACTIVE
        client._change_reason = TipiClient.ACTIVATED_REASON
        client.save(update_fields=["state"])
