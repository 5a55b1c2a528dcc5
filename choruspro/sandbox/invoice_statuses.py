"""Invoices moving through their statuses over time in the sandbox, and the test hook that
forces the next one."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from choruspro.sandbox.models import SandboxInvoice, SandboxInvoiceStatus

__all__ = ["DEFAULT_REJECTION", "FINAL", "FORCEABLE", "NORMAL_PATH", "invoice_advance", "invoice_force", "step_delay"]

NORMAL_PATH = ["DEPOSEE", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION", "SERVICE_FAIT", "MANDATEE", "MISE_EN_PAIEMENT"]
FINAL = {"MISE_EN_PAIEMENT", "REJETEE"}
FORCEABLE = NORMAL_PATH + ["SUSPENDUE", "COMPLETEE", "A_RECYCLER", "REJETEE"]
DEFAULT_REJECTION = "Facture rejetée par le destinataire : le code service indiqué ne correspond pas au service qui a passé la commande."


def step_delay() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.CHORUS_SANDBOX_STEP_SECONDS)


def _next_status(invoice: SandboxInvoice) -> tuple[str, str]:
    if invoice.planned_rejection and invoice.status in ("DEPOSEE", "EN_COURS_ACHEMINEMENT"):
        if invoice.status == "EN_COURS_ACHEMINEMENT":
            return "REJETEE", invoice.planned_rejection
        return "EN_COURS_ACHEMINEMENT", ""
    if invoice.status in NORMAL_PATH:
        return NORMAL_PATH[NORMAL_PATH.index(invoice.status) + 1], ""
    return "MISE_A_DISPOSITION", ""  # back on the path after SUSPENDUE or A_RECYCLER


def _move(invoice: SandboxInvoice, status: str, at: datetime.datetime, comment: str = "") -> None:
    invoice.status = status
    SandboxInvoiceStatus.objects.create(invoice=invoice, status=status, at=at, comment=comment)


def invoice_advance(*, invoice: SandboxInvoice, now: datetime.datetime | None = None) -> SandboxInvoice:
    """Every step whose time has come, each dated when it was due (read time does not matter)."""
    now = now or timezone.now()
    if invoice.status in FINAL or invoice.next_step_at is None or invoice.next_step_at > now:
        return invoice
    with transaction.atomic():
        invoice = SandboxInvoice.objects.select_for_update().get(pk=invoice.pk)
        while invoice.status not in FINAL and invoice.next_step_at is not None and invoice.next_step_at <= now:
            status, comment = _next_status(invoice)
            _move(invoice, status, invoice.next_step_at, comment)
            invoice.next_step_at = None if status in FINAL else invoice.next_step_at + step_delay()
        invoice.save(update_fields=["status", "next_step_at"])
    return invoice


def invoice_force(*, invoice: SandboxInvoice, status: str = "", comment: str = "") -> SandboxInvoice:
    """The test hook: the next status now (or the one asked for, REJETEE with its reason)."""
    with transaction.atomic():
        invoice = SandboxInvoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status in FINAL:
            raise ValueError(f"La facture est déjà au statut définitif {invoice.status}.")
        if status and status not in FORCEABLE:
            raise ValueError(f"Statut inconnu : {status}.")
        if not status:
            status, planned = _next_status(invoice)
            comment = comment or planned
        if status == "REJETEE":
            comment = comment or invoice.planned_rejection or DEFAULT_REJECTION
        now = timezone.now()
        _move(invoice, status, now, comment)
        invoice.next_step_at = None if status in FINAL else now + step_delay()
        invoice.save(update_fields=["status", "next_step_at"])
    return invoice
