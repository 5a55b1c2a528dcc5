"""Personal data: e-mail addresses are erased after the retention period."""

import datetime
import logging

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
