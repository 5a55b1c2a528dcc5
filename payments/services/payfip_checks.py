"""The check of a web-service transaction: ask PayFiP (recupererDetailPaiementSecurise), compare
its echo with what was sent, apply the result once. The only way a web-service result enters the
portal: that server-to-server question is what authenticates it.

Run by the task worker (after a notification or a redirect, payments.tasks.payfip_check_task),
by the poller (`manage.py payfip_poll`) and by staff ("vérifier maintenant"); never inside the
notification's request. PayFiP is asked outside any lock; the answer is then applied with the
transaction's row locked, through `transaction_result_apply` (the one writer of a result), so
checks of the same idOp running at once apply it once. Every check is recorded (PayfipCheck).
"""

import dataclasses
import datetime
import logging
from collections import Counter

from django.db import transaction as db_transaction
from django.utils import timezone

from payments.models import PayfipCheck, Transaction
from payments.payfip import PayfipFault, PayfipUnavailable, PaymentDetail
from payments.services import payfip
from payments.services.payfip_schedule import payfip_next_check
from payments.services.results import SOURCE_PAYFIP_DETAIL, transaction_result_apply
from payments.services.transaction_rows import LockedTransaction, transaction_lock_by_id

logger = logging.getLogger(__name__)

Outcome = PayfipCheck.Outcome
# The known codes: once one is applied (or found applied), there is nothing more to ask.
FINAL_CODES = frozenset("PVRZA")
# PayFiP's functional faults that are not errors: the payment is under way, or the operation is gone.
RESULT_NOT_KNOWN = "P5"
UNKNOWN_IDOP = "P1"
# A P1 is taken as "expired unused" only once the page may no longer be opened (15 minutes after
# creation, PAYFIP.md §3); sooner, it is a fault to look at, and the poller keeps asking [U].
OPEN_WINDOW = datetime.timedelta(minutes=15)
MISMATCH_FLAG = "payfip_mismatch"
POLL_BATCH = 500


@dataclasses.dataclass
class _Answer:
    detail: PaymentDetail | None = None
    fault: PayfipFault | None = None
    unavailable: str = ""

    def raw(self) -> dict:
        if self.detail is not None:
            values = dataclasses.asdict(self.detail) if dataclasses.is_dataclass(self.detail) else vars(self.detail)
            return {name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in values.items()}
        if self.fault is not None:
            return {"code": self.fault.code, "message": self.fault.message}
        return {"error": self.unavailable}


def _ask(idop: str) -> _Answer:
    try:
        with payfip.payfip_client() as client:  # closes its HTTP session
            return _Answer(detail=client.payment_detail(idop))
    except PayfipFault as fault:
        return _Answer(fault=fault)
    except PayfipUnavailable as exc:
        logger.warning("PayFiP unavailable for a check: %s", exc)
        return _Answer(unavailable=f"{type(exc).__name__}: {exc}"[:500])


def payfip_transaction_check(
    *, transaction_id: int, trigger: str, message_id: int | None = None, user=None, now: datetime.datetime | None = None
) -> PayfipCheck:
    """Ask PayFiP about this web-service transaction, apply what it answers, record the check."""
    idop, created_at, public_id = Transaction.objects.values_list("idop", "created_at", "public_id").get(
        pk=transaction_id, idop__isnull=False
    )
    # From now on a new notification may queue the next check: this one reads PayFiP after it.
    Transaction.objects.filter(pk=transaction_id).update(payfip_check_queued_at=None)
    answer = _ask(idop)
    now = now or timezone.now()
    with db_transaction.atomic():
        locked = transaction_lock_by_id(transaction_id)
        already_final = locked.resultrans in FINAL_CODES
        outcome, detail = _decide(locked, answer, created_at=created_at, now=now)
        check = PayfipCheck.objects.create(
            transaction_id=transaction_id,
            trigger=trigger,
            outcome=outcome,
            resultrans=answer.detail.resultrans[:8] if answer.detail else "",
            fault_code=answer.fault.code[:16] if answer.fault else "",
            detail=detail,
            answer=answer.raw(),
            message_id=message_id,
            user=user,
        )
        settled = already_final or outcome == Outcome.MISMATCH
        settled |= (
            outcome in (Outcome.APPLIED, Outcome.DUPLICATE, Outcome.CONFLICT)
            and answer.detail.resultrans in FINAL_CODES
        )
        next_check = None if settled else payfip_next_check(
            created_at=created_at, now=now, technical_error=outcome == Outcome.UNAVAILABLE
        )  # fmt: skip
        Transaction.objects.filter(pk=transaction_id).update(payfip_next_check_at=next_check)
    log = logger.info if outcome in (Outcome.APPLIED, Outcome.DUPLICATE, Outcome.PENDING) else logger.warning
    log("PayFiP check of transaction %s (%s): %s %s", public_id, trigger, outcome, detail)
    return check


def _decide(
    locked: LockedTransaction, answer: _Answer, *, created_at: datetime.datetime, now: datetime.datetime
) -> tuple[str, str]:
    """What the answer does to the locked transaction: (outcome, French detail)."""
    if answer.detail is not None:
        problems = payfip.detail_mismatches(sent=locked.params, detail=answer.detail)
        if problems:
            # Not the operation the portal created (or not as created): never applied, left to staff.
            locked.flags = sorted({*locked.flags, MISMATCH_FLAG})
            Transaction.objects.filter(pk=locked.id).update(flags=locked.flags)
            return Outcome.MISMATCH, " ; ".join(problems)
        return _result_apply(locked, answer.detail)
    if answer.fault is None:
        return Outcome.UNAVAILABLE, answer.unavailable
    code, text = answer.fault.code, answer.fault.message.strip()
    if code == RESULT_NOT_KNOWN:
        return Outcome.PENDING, text
    if code == UNKNOWN_IDOP and now - created_at >= OPEN_WINDOW:
        if locked.state == Transaction.State.PENDING:
            # Never opened: PayFiP purged it. The attempt is closed; the debt stays payable.
            Transaction.objects.filter(pk=locked.id).update(state=Transaction.State.EXPIRED, settled_at=now)
        return Outcome.EXPIRED, text
    return Outcome.FAULT, f"{code} {text}"


def _result_apply(locked: LockedTransaction, detail: PaymentDetail) -> tuple[str, str]:
    """The authenticated result, through the one writer of a transaction's result."""
    paid_at = detail.paid_at
    applied = transaction_result_apply(
        transaction=locked,
        resultrans=detail.resultrans,
        numauto=detail.numauto,
        dattrans=timezone.localtime(paid_at).date() if paid_at else None,
        source=SOURCE_PAYFIP_DETAIL,
    )
    said = f"RESULTRANS {detail.resultrans}" + (f", NUMAUTO {detail.numauto}" if detail.numauto else "")
    return applied.outcome, " ; ".join(part for part in (said, applied.detail) if part)


def payfip_poll(*, now: datetime.datetime | None = None, limit: int = POLL_BATCH) -> dict[str, int]:
    """Check every web-service transaction whose next check is due (`manage.py payfip_poll`)."""
    now = now or timezone.now()
    due = (
        Transaction.objects.filter(idop__isnull=False, payfip_next_check_at__lte=now)
        .order_by("payfip_next_check_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts: Counter[str] = Counter()
    for transaction_id in list(due):
        counts[payfip_transaction_check(transaction_id=transaction_id, trigger=PayfipCheck.Trigger.POLLER).outcome] += 1
    return dict(counts)
