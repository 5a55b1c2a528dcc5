"""The portal's own confirmation of a card payment (after TIPI's P, or a PayFiP debit V): one
e-mail per payment, sent by a task once the result is committed, never inside the return request.
"""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction as db_transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from payments.models import Transaction
from payments.tasks import payment_confirmation_send_task

logger = logging.getLogger(__name__)

#: The results that took the citizen's money: P (TIPI), V (PayFiP's debit).
CONFIRMED_RESULTS = frozenset({"P", "V"})
#: Citizens' payments only: test and activation attempts (T, X) are the administrators'.
CONFIRMED_SAISIES = frozenset({Transaction.Saisie.MANUAL, Transaction.Saisie.ACCOUNT})


def payment_confirmation_schedule(*, transaction_id: int, resultrans: str, saisie: str) -> None:
    """Called by the result's writer inside its database transaction: the e-mail's task is queued
    once that transaction commits (nothing is queued if it rolls back)."""
    if resultrans not in CONFIRMED_RESULTS or saisie not in CONFIRMED_SAISIES:
        return
    db_transaction.on_commit(lambda: payment_confirmation_send_task.enqueue(transaction_id), robust=True)


def payment_confirmation_send(*, transaction_id: int) -> bool:
    """Send the confirmation of a paid attempt, once: the row is locked and marked sent in the
    same database transaction. False when there is nothing to send (not paid, already sent)."""
    with db_transaction.atomic():
        paid = (
            Transaction.objects.select_for_update()
            .select_related("client")
            .filter(pk=transaction_id, state=Transaction.State.PAID, confirmation_sent_at__isnull=True)
            .first()
        )
        if paid is None or not paid.email:
            return False
        context = {
            "transaction": paid,
            "receipt_url": settings.PORTAL_PUBLIC_URL + reverse("payments:receipt", args=[paid.public_id]),
        }
        send_mail(
            subject=render_to_string("payments/email/confirmation_subject.txt", context).strip(),
            message=render_to_string("payments/email/confirmation_body.txt", context),
            from_email=None,  # DEFAULT_FROM_EMAIL
            recipient_list=[paid.email],
        )
        paid.confirmation_sent_at = timezone.now()
        paid.save(update_fields=["confirmation_sent_at"])
    logger.info("payment confirmation sent id=%s", paid.public_id)
    return True
