"""Following sent invoices: polling their statuses, each recorded once, until a final one."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from choruspro.client import ChorusClient, ChorusError
from choruspro.models import (
    FINAL_STATUSES,
    ChorusInvoice,
    ChorusStatusEvent,
)
from choruspro.services.connection import chorus_client, error_explain
from choruspro.services.sending_recovery import invoices_sending_recover
from choruspro.tasks import invoice_follow_task

logger = logging.getLogger(__name__)


# --- Following ----------------------------------------------------------------------------


def _moment(value) -> datetime.datetime:
    if isinstance(value, (int, float, Decimal)):  # epoch milliseconds
        return datetime.datetime.fromtimestamp(float(value) / 1000, tz=datetime.UTC)
    moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def invoice_poll(*, invoice: ChorusInvoice, client: ChorusClient | None = None) -> int:
    """The invoice's status history from Chorus Pro; each status recorded once. Returns how many were new."""
    if invoice.state != ChorusInvoice.State.SUBMITTED or invoice.chorus_id is None:
        return 0
    client = client or chorus_client(environment=invoice.environment)
    result = client.invoice_history(invoice_id=invoice.chorus_id)
    rows = ((result.get("historiquesDesStatuts") or {}).get("histoStatut")) or []
    current = str(result.get("statutCourantCode") or invoice.chorus_status)
    new = 0
    with transaction.atomic():
        invoice = ChorusInvoice.objects.select_for_update().get(pk=invoice.pk)
        for row in rows:
            status = str(row.get("histoStatutCode") or "")
            if not status or not row.get("histoStatutDatePassage"):
                continue
            _, created = ChorusStatusEvent.objects.get_or_create(
                invoice=invoice,
                status=status,
                at=_moment(row["histoStatutDatePassage"]),
                defaults={"comment": str(row.get("histoStatutCommentaire") or "")},
            )
            new += created
        events = list(invoice.events.order_by("at", "pk"))
        latest = next((e for e in reversed(events) if e.status == current), None)
        invoice.chorus_status = current
        invoice.chorus_status_at = latest.at if latest else invoice.chorus_status_at
        invoice.final = current in FINAL_STATUSES
        rejection = next((e for e in reversed(events) if e.status == "REJETEE"), None)
        invoice.rejection_reason = (
            (rejection.comment or "Rejetée sans motif communiqué.") if rejection and current == "REJETEE" else ""
        )
        paid = next((e for e in events if e.status == "MISE_EN_PAIEMENT"), None)
        invoice.payment_at = paid.at if paid else None
        invoice.polled_at = timezone.now()
        invoice.poll_error = ""
        invoice.save()
    if new:
        logger.info("choruspro invoice %s: %s new status(es), now %s", invoice.number, new, current)
    return new


@dataclass
class PollReport:
    polled: int = 0
    new_statuses: int = 0
    errors: list[str] = field(default_factory=list)
    sendings_retried: int = 0
    sendings_failed: int = 0


def invoices_to_poll():
    return ChorusInvoice.objects.filter(state=ChorusInvoice.State.SUBMITTED, final=False, chorus_id__isnull=False)


def invoices_poll(*, invoice_ids: list[int] | None = None) -> PollReport:
    """Every invoice not yet final (one client per environment); one failing does not stop the others."""
    # The periodic run also takes back the sendings a crashed worker left (their lease expired).
    recovery = invoices_sending_recover()
    report = PollReport(sendings_retried=len(recovery.retried), sendings_failed=len(recovery.failed))
    invoices = invoices_to_poll().order_by(F("polled_at").asc(nulls_first=True), "pk")
    if invoice_ids is not None:
        invoices = invoices.filter(pk__in=invoice_ids)
    clients: dict[str, ChorusClient] = {}
    for invoice in invoices.defer("pdf").iterator(chunk_size=200):
        client = clients.setdefault(invoice.environment, chorus_client(environment=invoice.environment))
        try:
            report.new_statuses += invoice_poll(invoice=invoice, client=client)
            report.polled += 1
        except ChorusError as error:
            message = error_explain(error, invoice.environment)
            ChorusInvoice.objects.filter(pk=invoice.pk).update(poll_error=message[:300], polled_at=timezone.now())
            report.errors.append(f"{invoice.number} : {message}")
        except Exception:
            logger.exception("choruspro poll of invoice %s failed", invoice.pk)
            report.errors.append(f"{invoice.number} : erreur inattendue (voir le journal).")
    return report


FOLLOW_UP_MAX_AGE = datetime.timedelta(days=120)


def follow_up_schedule(*, invoice_id: int) -> bool:
    """Development and demos: the invoice's next poll as a deferred task. Production uses the
    periodic `manage.py choruspro poll` (CHORUS_FOLLOW_UP_SECONDS=0)."""
    seconds = settings.CHORUS_FOLLOW_UP_SECONDS
    if seconds <= 0:
        return False
    backend = invoice_follow_task.get_backend()
    if not backend.supports_defer:
        return False
    invoice_follow_task.using(run_after=timezone.now() + datetime.timedelta(seconds=seconds)).enqueue(invoice_id)
    return True


def invoice_follow(*, invoice_id: int) -> str:
    """One follow-up: poll, then schedule the next one unless the invoice is final (or too old)."""
    invoice = ChorusInvoice.objects.filter(pk=invoice_id).defer("pdf").first()
    if invoice is None or invoice.state != ChorusInvoice.State.SUBMITTED:
        return "stopped"
    if not invoice.final:
        try:
            invoice_poll(invoice=invoice)
        except ChorusError as error:
            ChorusInvoice.objects.filter(pk=invoice.pk).update(
                poll_error=error_explain(error, invoice.environment)[:300]
            )
        invoice.refresh_from_db()
    if invoice.final or timezone.now() - invoice.created_at > FOLLOW_UP_MAX_AGE:
        return invoice.chorus_status
    follow_up_schedule(invoice_id=invoice.pk)
    return invoice.chorus_status
