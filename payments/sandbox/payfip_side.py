"""What the sandbox does as PayFiP's web-service mode: operations, their results, notifications.

The one writer of a PayfipOperation's result is ``payfip_operation_settle`` (row locked, once);
notifications are planned on commit and sent by a task (``payments.sandbox.tasks``), never
inside the request that settled the operation, except when a test asks for one now.
"""

import datetime
import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from payments.payfip import PAID_RESULTS, format_paid_at
from payments.sandbox.models import PayfipNotification, PayfipOperation, SandboxClient
from payments.sandbox.tasks import payfip_notification_send_task
from payments.sandbox.tipi_side import post_to_portal

logger = logging.getLogger(__name__)

# An idOp's payment page must be opened within this time of its creation (PAYFIP.md §3).
OPEN_WITHIN = datetime.timedelta(minutes=15)
NOTIFY_SCHEDULES = ("immediate", "delayed", "twice", "never")


class OperationClosed(Exception):
    """The operation cannot take a result: unknown, purged, or settled already."""


def operation_is_purged(operation: PayfipOperation, now: datetime.datetime | None = None) -> bool:
    """Never opened and a night has passed (simulated, or a real midnight in Paris): P1 forever."""
    if operation.opened_at is not None or operation.resultrans:
        return False
    if operation.purged_at is not None:
        return True
    return timezone.localdate(operation.created_at) < timezone.localdate(now or timezone.now())


def payfip_operation_find(idop: str) -> PayfipOperation | None:
    """The operation PayFiP would still know under ``idop`` (case-sensitive), or None."""
    operation = PayfipOperation.objects.filter(idop=idop).first()
    if operation is None or operation_is_purged(operation):
        return None
    return operation


def payfip_operation_create(*, params: dict[str, str]) -> PayfipOperation:
    return PayfipOperation.objects.create(params=params)


def payment_page_refusal(operation: PayfipOperation | None, now: datetime.datetime) -> str | None:
    """Why the payment page cannot be shown for this operation (French), or None."""
    if operation is None:
        return "Cette opération de paiement est inconnue."
    if operation.resultrans:
        return "Cette opération de paiement a déjà été utilisée : un nouveau paiement doit être demandé au site."
    if operation.opened_at is None and now - operation.created_at > OPEN_WITHIN:
        return "Le délai de 15 minutes pour ouvrir cette page de paiement est dépassé : revenez sur le site."
    return None


def payfip_operation_open(*, idop: str) -> tuple[PayfipOperation | None, str | None]:
    """The operation whose payment page is opened, or the French reason why it cannot be."""
    with transaction.atomic():
        operation = PayfipOperation.objects.select_for_update().filter(idop=idop).first()
        if operation is not None and operation_is_purged(operation):
            operation = None
        now = timezone.now()
        refusal = payment_page_refusal(operation, now)
        if refusal is None and operation.opened_at is None:
            operation.opened_at = now
            operation.save(update_fields=["opened_at"])
    return (None, refusal) if refusal else (operation, None)


def payfip_operation_settle(*, idop: str, resultrans: str, numauto: str | None = None) -> PayfipOperation:
    """Record the result of an open operation once, then plan its notifications (after commit).

    ``numauto`` defaults to a fresh authorisation number for a payment (P, V), none otherwise.
    An X payment activates the sandbox's client, as in the classic mode.
    """
    with transaction.atomic():
        operation = PayfipOperation.objects.select_for_update().filter(idop=idop).first()
        if operation is None or operation_is_purged(operation) or operation.resultrans:
            raise OperationClosed(idop)
        now = timezone.now()
        operation.resultrans = resultrans
        if numauto is None:
            numauto = f"{secrets.randbelow(10**6):06d}" if resultrans in PAID_RESULTS else ""
        operation.numauto = numauto
        operation.dattrans, operation.heurtrans = format_paid_at(now)
        operation.opened_at = operation.opened_at or now
        operation.save()
        params = operation.params
        if resultrans in PAID_RESULTS and params.get("saisie") == "X":
            SandboxClient.objects.filter(numcli=params.get("numcli")).update(state=SandboxClient.State.ACTIVE)
        planned = _notifications_plan(operation, now)
        transaction.on_commit(lambda: _notifications_enqueue(planned))
    return operation


def _notifications_plan(operation: PayfipOperation, now: datetime.datetime) -> list[PayfipNotification]:
    schedule = settings.PAYFIP_SANDBOX_NOTIFY
    if schedule not in NOTIFY_SCHEDULES:
        logger.warning("sandbox payfip: PAYFIP_SANDBOX_NOTIFY=%r unknown, no notification", schedule)
        return []
    delay = datetime.timedelta(seconds=settings.PAYFIP_SANDBOX_NOTIFY_DELAY)
    dues = {"immediate": [now], "delayed": [now + delay], "twice": [now, now + delay], "never": []}[schedule]
    return [PayfipNotification.objects.create(operation=operation, due_at=due) for due in dues]


def _notifications_enqueue(planned: list[PayfipNotification]) -> None:
    for notification in planned:
        task = payfip_notification_send_task
        if notification.due_at > timezone.now():
            task = task.using(run_after=notification.due_at)
        task.enqueue(notification.pk)


def payfip_notification_send(*, notification_id: int) -> str:
    """POST ``idop=<idOp>`` to the operation's urlnotif (form-encoded), once; the outcome, also logged.

    Only to the portal's own address (PORTAL_PUBLIC_URL): anyone may create an operation, and the
    sandbox must not post anywhere it is told. No transaction is held during the POST (the portal
    writes while it answers).
    """
    claimed = PayfipNotification.objects.filter(pk=notification_id, sent_at__isnull=True).update(sent_at=timezone.now())
    notification = PayfipNotification.objects.select_related("operation").get(pk=notification_id)
    if not claimed:
        return notification.outcome
    operation = notification.operation
    outcome = post_to_portal(operation.params.get("urlnotif", ""), {"idop": operation.idop}, name="urlnotif")
    notification.outcome = outcome[:200]
    notification.save(update_fields=["outcome"])
    logger.info("sandbox payfip: notification of %s to urlnotif: %s", operation.idop, outcome)
    return outcome


def payfip_notification_now(*, operation: PayfipOperation) -> PayfipNotification:
    """A notification sent now, in this request (the control API's ``notify``, for tests)."""
    notification = PayfipNotification.objects.create(operation=operation, due_at=timezone.now())
    payfip_notification_send(notification_id=notification.pk)
    notification.refresh_from_db()
    return notification


def payfip_night_pass() -> int:
    """The simulated night: every operation never opened is purged (P1 from now on); how many."""
    return PayfipOperation.objects.filter(opened_at__isnull=True, resultrans="", purged_at__isnull=True).update(
        purged_at=timezone.now()
    )
