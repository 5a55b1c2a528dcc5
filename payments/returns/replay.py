"""Replays: the spooled notices stored in the database, then every notice not applied yet.

The spool (`payments.returns.spool`) only knows the disk; storing its lines and applying the
notices that were stored but never applied (a crash, a lost apply) happen here, each once.
"""

from __future__ import annotations

import datetime
import logging
import os

from django.db import DataError, IntegrityError, connection
from django.db import transaction as db_transaction
from django.db.models import Q
from django.utils import timezone

from payments.models import ReturnNotice
from payments.returns.notices import notice_apply
from payments.returns.spool import (
    AMBIGUOUS_SLACK,
    REQUEST_ID_HEADER,
    STATE,
    IngestReport,
    SpoolLine,
    claim_files,
    fsync_dir,
    read_claimed,
    read_lines,
    replay_lock,
    set_aside,
    spool_dir,
)
from payments.tasks import returns_replay_task

logger = logging.getLogger(__name__)
Outcome = ReturnNotice.Outcome


def _stored_directly(line: SpoolLine) -> bool:
    """Did the INSERT that failed for this notice commit all the same? (same request id, same
    body, stored between the request's start and its failure)"""
    request_id = line.headers.get(REQUEST_ID_HEADER)
    if not request_id or request_id == "-":
        return False
    candidates = ReturnNotice.objects.filter(
        spool_id__isnull=True,
        received_at__range=(line.received_at - AMBIGUOUS_SLACK, line.spooled_at + AMBIGUOUS_SLACK),
        body=line.body,
    ).values_list("headers", flat=True)
    return any(isinstance(headers, dict) and headers.get(REQUEST_ID_HEADER) == request_id for headers in candidates)


def _store(line: SpoolLine, report: IngestReport) -> str | None:
    """Insert one line (its own savepoint); returns why it is rejected, or None."""
    if ReturnNotice.objects.filter(spool_id=line.spool_id).exists():
        report.already_stored += 1
        return None
    if _stored_directly(line):
        report.stored_directly += 1
        return None
    try:
        with db_transaction.atomic():
            notice = ReturnNotice.objects.create(
                spool_id=line.spool_id,
                body=line.body,
                content_type=line.content_type,
                headers=line.headers,
                remote_addr=line.remote_addr,
                outcome=ReturnNotice.Outcome.RECEIVED,
            )
            # received_at is auto_now_add: set the time TIPI's POST actually arrived.
            ReturnNotice.objects.filter(pk=notice.pk).update(received_at=line.received_at)
    except IntegrityError:
        if ReturnNotice.objects.filter(spool_id=line.spool_id).exists():
            report.already_stored += 1
            return None
        raise
    except DataError as exc:  # this line can never be stored (a value the column refuses)
        return f"DataError: {exc}"
    report.stored += 1
    report.stored_ids.append(notice.pk)
    return None


def spool_ingest() -> IngestReport:
    """Store every spooled line in the database, then delete its file (after the commit).

    Raises the database's error if it still cannot be reached: the files stay, claimed, for
    the next replay. Applying the stored notices is `notices_replay`'s part (it calls this).
    """
    report = IngestReport()
    directory = spool_dir()
    if not directory.is_dir():
        return report
    with replay_lock(directory) as held:
        if not held:
            report.busy = True
            return report
        claimed = claim_files(directory)
        if not claimed:
            return report
        connection.ensure_connection()  # fail before reading anything if the database is still away
        for path in claimed:
            lines, bad = read_lines(read_claimed(path))
            with db_transaction.atomic():
                for line in lines:
                    reason = _store(line, report)
                    if reason:
                        bad.append((line.raw, reason))
            # Committed: the file may go. A crash before the unlink replays it, storing nothing twice.
            if bad:
                set_aside(path, bad)
                report.rejected += len(bad)
                logger.error("spool %s: %d line(s) could not be stored, kept in rejected-*", path.name, len(bad))
            os.unlink(path)
            report.files += 1
        fsync_dir(directory)
    if report.files:
        logger.warning("return notices replayed from the spool: %s", report)
    return report


def notices_replay(*, older_than_seconds: int = 60, spool: bool = True) -> dict[str, int]:
    """Apply every notice still "received" (its apply failed or was lost in a crash).

    First the local spool (payments/returns/spool.py) is stored in the database (``spool=False``: the
    caller did it). Only notices older than a minute by default, so as not to race with the
    request that is storing and applying a notice right now (that race is safe anyway: see
    `_close`); the notices from the spool are applied whatever their age (no request holds
    them). In the order they were received.
    """
    if spool:
        spool_ingest()
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    waiting = ReturnNotice.objects.filter(
        Q(received_at__lt=cutoff) | Q(spool_id__isnull=False), outcome=Outcome.RECEIVED
    ).order_by("received_at", "pk")
    counts: dict[str, int] = {}
    for notice_id in waiting.values_list("pk", flat=True).iterator(chunk_size=500):
        outcome = notice_apply(notice_id=notice_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def replay_nudge() -> None:
    """The database stored a notice again after this process spooled some: have the task
    worker replay the spool now rather than at the next tick of the timer. Best effort: if the
    task cannot be queued, the timer does the work and this process stops asking."""
    STATE.replay_wanted = False
    try:
        returns_replay_task.enqueue()
    except Exception:
        logger.warning("could not enqueue the spool replay task (the returns_replay timer will replay)", exc_info=True)
