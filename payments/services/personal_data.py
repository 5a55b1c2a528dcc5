"""Retention: e-mail addresses are erased after their period, strangers' junk notices deleted after theirs."""

import datetime
import ipaddress
import logging

from django.conf import settings
from django.utils import timezone

from payments.models import ReturnNotice, Transaction

logger = logging.getLogger(__name__)


# --- Personal data -------------------------------------------------------------------------

ERASED_EMAIL = "effacee@invalid"


def personal_data_purge(*, older_than_days: int) -> tuple[int, int]:
    """Erase e-mail addresses kept longer than the retention period (transactions, notices).

    The money trail stays (reference, amount, result, authorisation number, dates); only the
    payer's address goes. A notice's raw body keeps every field but MEL.
    """
    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    transactions = 0
    for transaction in Transaction.objects.filter(created_at__lt=cutoff).exclude(email=ERASED_EMAIL).iterator():
        transaction.email = ERASED_EMAIL
        transaction.params = {**transaction.params, "mel": ERASED_EMAIL}
        transaction.save(update_fields=["email", "params"])
        transactions += 1
    notices = 0
    for notice in ReturnNotice.objects.filter(received_at__lt=cutoff, mel_erased=False).iterator():
        notice.body = _without_mel(bytes(notice.body))
        notice.mel_erased = True
        notice.save(update_fields=["body", "mel_erased"])
        notices += 1
    return transactions, notices


def _without_mel(body: bytes) -> bytes:
    pairs = [pair for pair in body.split(b"&") if not pair.lower().startswith(b"mel=")]
    return b"&".join(pairs)


# --- Refused and malformed return notices --------------------------------------------------

JUNK_OUTCOMES = (ReturnNotice.Outcome.REFUSED_IP, ReturnNotice.Outcome.MALFORMED)


def junk_notices_purge(*, older_than_days: int) -> int:
    """Delete the refused and malformed notices older than their retention period; returns how many.

    They hold no payment (never applied, linked to no transaction): a stranger's posts, kept
    long enough to look into. A malformed notice from TIPI's own addresses (a non-empty
    TIPI_RETURN_ALLOWED_IPS) may be a payment gone wrong: it stays, for staff.
    """
    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    old = ReturnNotice.objects.filter(received_at__lt=cutoff, outcome__in=JUNK_OUTCOMES, transaction__isnull=True)
    tipi = [ipaddress.ip_network(entry, strict=False) for entry in settings.TIPI_RETURN_ALLOWED_IPS]
    kept = [
        pk
        for pk, address in old.filter(outcome=ReturnNotice.Outcome.MALFORMED, remote_addr__isnull=False)
        .values_list("pk", "remote_addr")
        .iterator()
        if tipi and any(ipaddress.ip_address(address) in network for network in tipi)
    ]
    deleted, _ = old.exclude(pk__in=kept).delete()
    return deleted
