"""Importing debt files (INDIGO, ROLMRE, PES V2, régie CSV): batches, staging, report.

The file is parsed as a stream and staged in the database in chunks (COPY on PostgreSQL);
the database then finds duplicates and conflicts set-wise, and the debts are inserted in
one statement. So a million records never sit in memory, progress is visible to other
connections while it runs, and "complete" mode is all-or-nothing.

Here: the batches (create, confirm, discard), the retention of the received copies (purge) and
the run (parse, stage in chunks, progress, final state); the set-wise work on the staging table
is in ``import_staging``.
"""

import datetime
import hashlib
import logging
import os
import shutil
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from debts.importers import ImportFileError, LineError, parse
from debts.models import ImportBatch, ImportIssue, StagedDebt
from debts.services.import_staging import staged_debts_check, staged_debts_copy, staged_debts_insert
from payments.models import TipiClient
from payments.tipi import Protocol, compose_refdet

logger = logging.getLogger(__name__)

# Pending work is written out when any of these is reached, so that memory stays bounded
# whatever the file holds: rows, the text those rows carry (a PES piece's raw record may be
# 15 MB), and issues (a file of nothing but bad lines yields no row at all).
CHUNK = 5_000
CHUNK_BYTES = 8 << 20
ISSUE_CHUNK = 1_000


class ImportRefused(Exception):
    """The import cannot even be queued (same file already imported, wrong format…)."""


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def import_batch_create(
    *,
    client: TipiClient,
    fmt: str,
    path: Path,
    filename: str,
    mode: str = ImportBatch.Mode.COMPLETE,
    dry_run: bool = False,
    encoding: str = "",
    user=None,
) -> ImportBatch:
    """Register a file to import: hash it, refuse a file already imported, keep a copy."""
    if fmt != ImportBatch.format_for(client):
        raise ImportRefused(
            f"Le client {client.numcli} utilise le protocole {client.get_protocol_display()} : "
            f"un fichier {ImportBatch.Format(fmt).label} ne peut pas lui être destiné."
        )
    sha, size = _sha256(path)
    if not dry_run:
        _refuse_if_already_imported(client, sha)
    stored = Path(settings.IMPORTS_DIR) / f"{sha}-{timezone.now():%Y%m%d%H%M%S%f}"
    stored.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, stored)
    try:
        return ImportBatch.objects.create(
            client=client,
            fmt=fmt,
            mode=mode,
            dry_run=dry_run,
            filename=filename[:255],
            file_path=str(stored),
            file_sha256=sha,
            file_size=size,
            encoding=encoding,
            created_by=user,
        )
    except IntegrityError:
        # Two confirmations at once (a double click): the database's constraint decides.
        stored.unlink(missing_ok=True)
        raise ImportRefused("Ce fichier est déjà en cours d'import : il n'est pas importé une seconde fois.") from None


def _refuse_if_already_imported(client: TipiClient, sha: str) -> None:
    already = ImportBatch.objects.filter(client=client, file_sha256=sha, dry_run=False).exclude(
        state__in=[ImportBatch.State.REJECTED, ImportBatch.State.FAILED]
    )
    if previous := already.first():
        raise ImportRefused(
            f"Ce fichier a déjà été importé le {timezone.localtime(previous.created_at):%d/%m/%Y à %H:%M} "
            f"(« {previous.filename} ») : il n'est pas importé une seconde fois."
        )


def _progress(batch: ImportBatch, **fields) -> None:
    for name, value in fields.items():
        setattr(batch, name, value)
    batch.save(update_fields=list(fields))


def debts_import(*, batch: ImportBatch, today: datetime.date | None = None) -> ImportBatch:
    """Run an import batch to its end: parse and stage, check, insert (unless refused).

    complete mode: any bad line, duplicate or conflict → nothing imported (state rejected).
    partial mode: good lines imported, the others reported. dry run: the report, no write.
    """
    today = today or timezone.localdate()
    if batch.state != ImportBatch.State.QUEUED:
        return batch
    _progress(batch, state=ImportBatch.State.RUNNING, started_at=timezone.now(), phase="Lecture du fichier")
    try:
        with open(batch.file_path, "rb") as handle:
            _stage(batch, handle, today)
        _progress(batch, phase="Contrôle des doublons")
        staged_debts_check(batch=batch)
        batch.rejected = batch.issues.count()
        refuse = batch.mode == ImportBatch.Mode.COMPLETE and batch.rejected > 0
        if refuse:
            batch.imported = 0
            final = ImportBatch.State.REJECTED
        elif batch.dry_run:
            # What the real import would add: the dry run's report says it.
            batch.imported = batch.staged.filter(status=StagedDebt.Status.OK).count()
            final = ImportBatch.State.DONE
        else:
            _progress(batch, phase="Enregistrement des dettes")
            batch.imported = staged_debts_insert(batch=batch)
            final = ImportBatch.State.DONE
        batch.identical = batch.staged.filter(status=StagedDebt.Status.IDENTICAL).count()
        batch.staged.all().delete()
        _progress(
            batch,
            state=final,
            phase="",
            finished_at=timezone.now(),
            imported=batch.imported,
            identical=batch.identical,
            rejected=batch.rejected,
        )
    except ImportFileError as exc:
        batch.staged.all().delete()
        _progress(batch, state=ImportBatch.State.FAILED, phase="", fatal_error=exc.message, finished_at=timezone.now())
    except Exception:
        logger.exception("import batch %s failed", batch.pk)
        batch.staged.all().delete()
        _progress(
            batch,
            state=ImportBatch.State.FAILED,
            phase="",
            finished_at=timezone.now(),
            fatal_error="Erreur inattendue pendant l'import : l'équipe informatique a été prévenue.",
        )
    if not batch.dry_run:  # a dry run keeps its copy until it is confirmed
        import_file_discard(batch=batch)
    return batch


# --- Parse and stage -----------------------------------------------------------------


def _stage(batch: ImportBatch, handle, today: datetime.date) -> None:
    client = batch.client
    protocol = client.tipi_protocol
    online_from = today + datetime.timedelta(days=1)
    delay = datetime.timedelta(days=client.online_delay_days)
    one_day = datetime.timedelta(days=1)
    pending = _Pending(batch, handle)
    # Plain tuples in import_staging.STAGED_COLUMNS order (COPY takes them as they are): building a model
    # instance per record cost more than parsing it.
    rows = pending.rows
    batch_id, status_ok = batch.pk, StagedDebt.Status.OK
    for item in parse(batch.fmt, handle, encoding=batch.encoding or None):
        if isinstance(item, LineError):
            pending.add_issue(item)
            continue
        pending.records += 1
        try:
            refdet = compose_refdet(protocol, **item.ref_parts)
        except ValueError as exc:
            pending.add_issue(
                LineError(
                    item.line_no,
                    "REFDET",
                    str(item.ref_parts)[:200],
                    f"Référence de la dette impossible à composer : {exc}",
                    item.piece_id,
                )
            )
            continue
        # Online the day after it was taken in charge (the import day when the file does not say).
        start = item.taken_in_charge_on + one_day if item.taken_in_charge_on else online_from
        rows.append(
            (
                batch_id,
                item.line_no,
                status_ok,
                refdet,
                item.ref_parts,
                item.amount_cents,
                item.debtor_ref[:30],
                item.debtor_name[:200],
                item.debtor_address,
                item.label[:200],
                item.issued_on,
                start,
                start + delay,
                item.raw,
                item.due_on,
                item.ref_parts.get("invoice", "") if protocol is Protocol.REGIE else "",
            )
        )
        pending.row_bytes += len(item.raw) + len(item.debtor_address)
        if len(rows) >= CHUNK or pending.row_bytes >= CHUNK_BYTES:
            pending.flush()
    pending.flush()


class _Pending:
    """The staged rows and the issues read since the last flush, and the progress to report."""

    def __init__(self, batch: ImportBatch, handle) -> None:
        self.batch, self.handle = batch, handle
        self.rows: list[tuple] = []
        self.row_bytes = 0  # the text the rows carry
        self.issues: list[ImportIssue] = []
        self.records = 0

    def add_issue(self, error: LineError) -> None:
        self.issues.append(
            ImportIssue(
                batch=self.batch,
                line_no=error.line_no,
                piece_id=error.piece_id or "",
                field=error.field[:40],
                value=error.value[:200],
                message=error.message[:300],
            )
        )
        if len(self.issues) >= ISSUE_CHUNK:
            self.flush()

    def flush(self) -> None:
        """Rows into the staging table, issues into theirs, then the progress."""
        if self.rows:
            staged_debts_copy(rows=self.rows)
            self.rows.clear()
            self.row_bytes = 0
        if self.issues:
            ImportIssue.objects.bulk_create(self.issues, batch_size=ISSUE_CHUNK)
            self.issues.clear()
        batch, handle = self.batch, self.handle
        position = handle.tell() if not handle.closed else batch.file_size
        _progress(batch, records_read=self.records, bytes_read=min(position, batch.file_size))


def import_file_discard(*, batch: ImportBatch) -> None:
    """Forget the received copy once the import is over (the debts keep their raw records)."""
    if batch.file_path and os.path.exists(batch.file_path):
        os.remove(batch.file_path)


def import_batch_confirm(*, dry_run_batch: ImportBatch, user=None) -> ImportBatch:
    """After a dry run, the real import of the same file, same mode."""
    return _batch_from_dry_run(
        dry_run_batch,
        states=(ImportBatch.State.DONE,),
        refused="Seul un essai à blanc terminé peut être confirmé.",
        mode=None,
        dry_run=False,
        user=user,
    )


def import_batch_dry_run_again(*, dry_run_batch: ImportBatch, mode: str, user=None) -> ImportBatch:
    """After a dry run (done, or rejected in "tout ou rien"), a new dry run of the same file in
    ``mode``: the agent switches between "tout ou rien" and "partiel" without uploading again."""
    if mode not in ImportBatch.Mode.values:
        raise ImportRefused("Choisissez le mode d'import.")
    return _batch_from_dry_run(
        dry_run_batch,
        states=(ImportBatch.State.DONE, ImportBatch.State.REJECTED),
        refused="Seul un essai à blanc terminé peut être refait dans un autre mode.",
        mode=mode,
        dry_run=True,
        user=user,
    )


def _batch_from_dry_run(
    dry_run_batch: ImportBatch, *, states, refused: str, mode: str | None, dry_run: bool, user
) -> ImportBatch:
    """A new batch of a finished dry run's file (its own copy); the dry run's copy is then deleted."""
    with transaction.atomic():
        # Locked while its copy is copied: import_files_purge deletes it under the same lock.
        dry_run_batch = ImportBatch.objects.select_for_update().get(pk=dry_run_batch.pk)
        if not dry_run_batch.dry_run or dry_run_batch.state not in states:
            raise ImportRefused(refused)
        if not dry_run:
            _refuse_if_already_imported(dry_run_batch.client, dry_run_batch.file_sha256)
        if not dry_run_batch.file_path or not os.path.exists(dry_run_batch.file_path):
            raise ImportRefused("Le fichier de cet essai à blanc n'est plus disponible : déposez-le à nouveau.")
        batch = import_batch_create(
            client=dry_run_batch.client,
            fmt=dry_run_batch.fmt,
            path=Path(dry_run_batch.file_path),
            filename=dry_run_batch.filename,
            mode=mode or dry_run_batch.mode,
            dry_run=dry_run,
            encoding=dry_run_batch.encoding,
            user=user,
        )
    import_file_discard(batch=dry_run_batch)  # the new batch has its own copy
    return batch


# --- Retention of the received copies ------------------------------------------------


def import_files_purge(*, older_than_days: int, now: datetime.datetime | None = None) -> int:
    """Delete the received copies older than ``older_than_days`` days; return how many files.

    Those of dry runs never confirmed or that failed (a real import deletes its own at its end),
    and the files no batch names (an upload interrupted between its copy and its batch). Never
    the file of a queued or running import, however old.
    """
    if older_than_days < 1:
        # A younger copy may be an upload whose batch is being created.
        raise ValueError("older_than_days must be at least 1")
    cutoff = (now or timezone.now()) - datetime.timedelta(days=older_than_days)
    expired = (
        ImportBatch.objects.filter(created_at__lt=cutoff)
        .exclude(file_path="")
        .exclude(state__in=[ImportBatch.State.QUEUED, ImportBatch.State.RUNNING])
    )
    deleted = 0
    for pk in list(expired.values_list("pk", flat=True)):
        with transaction.atomic():
            batch = expired.select_for_update().filter(pk=pk).first()  # still expired once locked
            if batch is None:
                continue
            deleted += _file_remove(batch.file_path)
            batch.file_path = ""
            batch.save(update_fields=["file_path"])
    return deleted + _unnamed_files_remove(cutoff)


def _unnamed_files_remove(cutoff: datetime.datetime) -> int:
    """Delete the files of IMPORTS_DIR older than ``cutoff`` that no batch names."""
    folder = Path(settings.IMPORTS_DIR)
    if not folder.is_dir():
        return 0
    # Read before the folder: a batch created meanwhile names a copy made now, younger than cutoff.
    named = {
        os.path.realpath(path) for path in ImportBatch.objects.exclude(file_path="").values_list("file_path", flat=True)
    }
    deleted = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.is_file(follow_symlinks=False) or os.path.realpath(entry.path) in named:
                continue
            if entry.stat(follow_symlinks=False).st_mtime < cutoff.timestamp():
                deleted += _file_remove(entry.path)
    return deleted


def _file_remove(path: str) -> int:
    """Delete one file: 1 if it was there, 0 if it was already gone."""
    try:
        os.remove(path)
    except FileNotFoundError:
        return 0
    return 1
