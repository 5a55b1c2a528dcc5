"""Invoices a crashed worker left "sending": taken back when their lease expires, retried once,
then failed and shown to staff (the debt's Chorus Pro page says what to check before resending)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from choruspro.models import SEND_ATTEMPTS_MAX, SEND_INTERRUPTED, ChorusInvoice
from choruspro.tasks import invoice_submit_task

logger = logging.getLogger(__name__)


@dataclass
class RecoveryReport:
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def invoices_sending_recover() -> RecoveryReport:
    """Every invoice "sending" past its lease: queued again and enqueued if it was its first
    attempt, failed with SEND_INTERRUPTED otherwise. A sending in progress (lease running) is left alone."""
    report = RecoveryReport()
    now = timezone.now()
    with transaction.atomic():
        stuck = (
            ChorusInvoice.objects.select_for_update(skip_locked=True)
            .filter(state=ChorusInvoice.State.SENDING)
            .filter(Q(sending_until__lt=now) | Q(sending_until__isnull=True))
            .only("pk", "state", "send_attempts", "sending_until", "error", "number")
        )
        for invoice in stuck:
            invoice.sending_until = None
            if invoice.send_attempts < SEND_ATTEMPTS_MAX:
                invoice.state = ChorusInvoice.State.QUEUED
                report.retried.append(invoice.pk)
            else:
                invoice.state = ChorusInvoice.State.FAILED
                invoice.error = SEND_INTERRUPTED
                report.failed.append(invoice.pk)
            invoice.save(update_fields=["state", "sending_until", "error"])
            logger.warning("choruspro invoice %s: sending interrupted, %s", invoice.number, invoice.state)
        retried = list(report.retried)
        transaction.on_commit(lambda: [invoice_submit_task.enqueue(pk) for pk in retried])
    return report
