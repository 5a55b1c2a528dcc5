"""Importing debt files (INDIGO, ROLMRE, PES V2): batches, staging, report.

The file is parsed as a stream and staged in the database in chunks (COPY on PostgreSQL);
the database then finds duplicates and conflicts set-wise, and the debts are inserted in
one statement. So a million records never sit in memory, progress is visible to other
connections while it runs, and "complete" mode is all-or-nothing.
"""

import datetime
import hashlib
import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection
from django.db import transaction as db_transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from debts.importers import ImportFileError, LineError, parse
from debts.models import (
    ACCESS_CODE_ALPHABET,
    ACCESS_CODE_LENGTH,
    Debt,
    DebtorReference,
    ImportBatch,
    ImportIssue,
    StagedDebt,
    new_access_code,
)
from payments.models import TipiClient
from payments.tipi import compose_refdet

logger = logging.getLogger(__name__)

CHUNK = 5_000


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
        _mark_duplicates_and_conflicts(batch)
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
            batch.imported = _insert_debts(batch)
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
    # Plain tuples in _STAGED_COLUMNS order (COPY takes them as they are): building a model
    # instance per record cost more than parsing it.
    rows: list[tuple] = []
    issues: list[ImportIssue] = []
    one_day = datetime.timedelta(days=1)
    records = 0
    batch_id, status_ok = batch.pk, StagedDebt.Status.OK
    for item in parse(batch.fmt, handle, encoding=batch.encoding or None):
        if isinstance(item, LineError):
            issues.append(_issue(batch, item))
            continue
        records += 1
        try:
            refdet = compose_refdet(protocol, **item.ref_parts)
        except ValueError as exc:
            issues.append(
                ImportIssue(
                    batch=batch,
                    line_no=item.line_no,
                    piece_id=item.piece_id or "",
                    field="REFDET",
                    value=str(item.ref_parts)[:200],
                    message=f"Référence de la dette impossible à composer : {exc}",
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
            )
        )
        if len(rows) >= CHUNK:
            _flush(batch, rows, issues, records, handle)
    _flush(batch, rows, issues, records, handle)


def _issue(batch: ImportBatch, error: LineError) -> ImportIssue:
    return ImportIssue(
        batch=batch,
        line_no=error.line_no,
        piece_id=error.piece_id or "",
        field=error.field[:40],
        value=error.value[:200],
        message=error.message[:300],
    )


def _flush(batch: ImportBatch, rows: list[tuple], issues: list[ImportIssue], records: int, handle) -> None:
    if rows:
        _copy_staged(rows)
        rows.clear()
    if issues:
        ImportIssue.objects.bulk_create(issues, batch_size=1000)
        issues.clear()
    position = handle.tell() if not handle.closed else batch.file_size
    _progress(batch, records_read=records, bytes_read=min(position, batch.file_size))


_STAGED_COLUMNS = [
    "batch_id",
    "line_no",
    "status",
    "refdet",
    "ref_parts",
    "amount_cents",
    "debtor_ref",
    "debtor_name",
    "debtor_address",
    "label",
    "issued_on",
    "online_from",
    "online_until",
    "raw_record",
]


def _staged_types() -> list[str]:
    """The columns' PostgreSQL types as the model declares them ("varchar(30)" → "varchar"), so
    that binary COPY picks each column's dumper once instead of guessing it value by value."""
    fields = {f.attname: f for f in StagedDebt._meta.concrete_fields}
    return [fields[name].db_type(connection).split("(")[0] for name in _STAGED_COLUMNS]


def _copy_staged(rows: list[tuple]) -> None:
    """PostgreSQL: binary COPY (the fastest way in); elsewhere: bulk_create."""
    if connection.vendor != "postgresql":
        StagedDebt.objects.bulk_create([StagedDebt(**dict(zip(_STAGED_COLUMNS, row))) for row in rows], batch_size=500)
        return
    table = StagedDebt._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(_STAGED_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.set_types(_staged_types())
        for row in rows:
            copy.write_row(row)


# --- Checks, set-wise ----------------------------------------------------------------


_ISSUE_MESSAGES = {
    StagedDebt.Status.DUPLICATE: (
        ImportIssue.Kind.DUPLICATE,
        "Cette référence figure déjà plus haut dans le fichier : ligne ignorée.",
    ),
    StagedDebt.Status.CONFLICT: (
        ImportIssue.Kind.CONFLICT,
        "Cette référence est déjà détenue avec d'autres valeurs : elle n'est jamais écrasée.",
    ),
}


def _mark_duplicates_and_conflicts(batch: ImportBatch) -> None:
    """The same REFDET earlier in the file: an identical line (same amount and debtor) is
    skipped and counted, a different one reported (the first line wins). Then, among the
    lines left, a REFDET already held: identical → skipped and counted; different →
    reported, never overwritten."""
    if connection.vendor == "postgresql":
        _mark_duplicates_and_conflicts_postgresql(batch)
        return
    staged = StagedDebt.objects.filter(batch=batch)
    ok = staged.filter(status=StagedDebt.Status.OK)
    earlier = staged.filter(refdet=OuterRef("refdet"), line_no__lt=OuterRef("line_no"))
    earlier_same = earlier.filter(amount_cents=OuterRef("amount_cents"), debtor_ref=OuterRef("debtor_ref"))
    ok.filter(Exists(earlier_same)).update(status=StagedDebt.Status.IDENTICAL)
    ok.filter(Exists(earlier)).update(status=StagedDebt.Status.DUPLICATE)
    held = Debt.objects.filter(client_id=batch.client_id, refdet=OuterRef("refdet"))
    same = held.filter(amount_cents=OuterRef("amount_cents"), debtor_ref=OuterRef("debtor_ref"))
    ok.filter(Exists(same)).update(status=StagedDebt.Status.IDENTICAL)
    ok.filter(Exists(held)).update(status=StagedDebt.Status.CONFLICT)
    for status, (kind, message) in _ISSUE_MESSAGES.items():
        found = staged.filter(status=status).values_list("line_no", "refdet").iterator(chunk_size=CHUNK)
        _bulk_issues(
            ImportIssue(batch=batch, kind=kind, line_no=line_no, field="REFDET", value=refdet, message=message)
            for line_no, refdet in found
        )


def _mark_duplicates_and_conflicts_postgresql(batch: ImportBatch) -> None:
    """The same rules in three statements: window functions find the earlier lines in one
    sort (instead of a correlated lookup per line), one join finds the debts held, and the
    issues are written by the database."""
    staged, debt, issue = StagedDebt._meta.db_table, Debt._meta.db_table, ImportIssue._meta.db_table
    status = StagedDebt.Status
    with connection.cursor() as cursor:
        # The staging table is usually empty between imports, and so are its statistics, until
        # autovacuum comes by: a plan made for an empty table over a million rows takes hours.
        cursor.execute(f"ANALYZE {staged}")
    with db_transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")  # the sort of a million REFDETs stays in memory
        # A line has an earlier one with its REFDET (and the same amount and debtor) when the
        # smallest line number of its group is smaller than its own.
        cursor.execute(
            f"""
            UPDATE {staged} s
            SET status = CASE WHEN e.first_same < e.line_no THEN %s ELSE %s END
            FROM (
                SELECT id, line_no,
                    min(line_no) OVER (PARTITION BY refdet, amount_cents, debtor_ref) AS first_same,
                    min(line_no) OVER (PARTITION BY refdet) AS first_ref
                FROM {staged} WHERE batch_id = %s
            ) e
            WHERE s.id = e.id AND e.first_ref < e.line_no AND s.status = %s
            """,
            [status.IDENTICAL, status.DUPLICATE, batch.pk, status.OK],
        )
        cursor.execute(
            f"""
            UPDATE {staged} s
            SET status = CASE WHEN d.amount_cents = s.amount_cents AND d.debtor_ref = s.debtor_ref
                              THEN %s ELSE %s END
            FROM {debt} d
            WHERE s.batch_id = %s AND s.status = %s AND d.client_id = %s AND d.refdet = s.refdet
            """,
            [status.IDENTICAL, status.CONFLICT, batch.pk, status.OK, batch.client_id],
        )
        for found, (kind, message) in _ISSUE_MESSAGES.items():
            cursor.execute(
                f"""
                INSERT INTO {issue} (batch_id, kind, line_no, piece_id, field, value, message)
                SELECT batch_id, %s, line_no, '', 'REFDET', refdet, %s FROM {staged}
                WHERE batch_id = %s AND status = %s ORDER BY line_no, id
                """,
                [kind, message, batch.pk, found],
            )


def _bulk_issues(issues: Iterable[ImportIssue]) -> None:
    buffer = []
    for issue in issues:
        buffer.append(issue)
        if len(buffer) >= CHUNK:
            ImportIssue.objects.bulk_create(buffer)
            buffer.clear()
    ImportIssue.objects.bulk_create(buffer)


# --- Insert ------------------------------------------------------------------------


def _insert_debts(batch: ImportBatch) -> int:
    """New debtor references (each with its random access code), then the debts, at once."""
    with db_transaction.atomic():
        _create_debtor_references(batch)
        debt, staged, debtor = Debt._meta.db_table, StagedDebt._meta.db_table, DebtorReference._meta.db_table
        now = timezone.now()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL work_mem = '64MB'")  # the debtor references' hash stays in memory
            cursor.execute(
                f"""
                INSERT INTO {debt} (client_id, refdet, ref_parts, amount_cents, debtor_ref, debtor_id, debtor_name,
                    debtor_address, label, issued_on, online_from, online_until, state, batch_id, raw_record,
                    created_at, updated_at)
                SELECT %s, s.refdet, s.ref_parts, s.amount_cents, s.debtor_ref, d.id, s.debtor_name,
                    s.debtor_address, s.label, s.issued_on, s.online_from, s.online_until, %s, s.batch_id,
                    s.raw_record, %s, %s
                FROM {staged} s LEFT JOIN {debtor} d ON d.client_id = %s AND d.reference = s.debtor_ref
                WHERE s.batch_id = %s AND s.status = %s
                """,
                [batch.client_id, Debt.State.OPEN, now, now, batch.client_id, batch.pk, StagedDebt.Status.OK],
            )
            return cursor.rowcount


def _create_debtor_references(batch: ImportBatch) -> None:
    if connection.vendor == "postgresql":
        _create_debtor_references_postgresql(batch)
        return
    known = DebtorReference.objects.filter(client_id=batch.client_id, reference=OuterRef("debtor_ref"))
    new_refs = (
        StagedDebt.objects.filter(batch=batch, status=StagedDebt.Status.OK)
        .exclude(debtor_ref="")
        .exclude(Exists(known))
        .values_list("debtor_ref", flat=True)
        .distinct()
        .iterator(chunk_size=CHUNK)
    )
    buffer: list[DebtorReference] = []
    for reference in new_refs:
        buffer.append(DebtorReference(client_id=batch.client_id, reference=reference, access_code=new_access_code()))
        if len(buffer) >= CHUNK:
            DebtorReference.objects.bulk_create(buffer, ignore_conflicts=True)
            buffer.clear()
    DebtorReference.objects.bulk_create(buffer, ignore_conflicts=True)


# gen_random_uuid() is 16 bytes from PostgreSQL's strong random source (OpenSSL), 122 of
# their bits random: bytes 6 and 8 carry the version and variant bits, so they are skipped.
# One random byte modulo 32 is one uniform letter of the 32-letter alphabet (256 = 8 × 32):
# the same 50 bits of entropy as new_access_code(), without a Python round trip per debtor.
_UUID_RANDOM_BYTES = (0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 13, 14, 15)


def _access_code_sql(column: str) -> str:
    """SQL for a random access code from the bytea ``column`` (``uuid_send(gen_random_uuid())``)."""
    assert len(ACCESS_CODE_ALPHABET) == 32 and len(_UUID_RANDOM_BYTES) >= ACCESS_CODE_LENGTH
    return " || ".join(
        f"substr('{ACCESS_CODE_ALPHABET}', get_byte({column}, {index}) %% 32 + 1, 1)"
        for index in _UUID_RANDOM_BYTES[:ACCESS_CODE_LENGTH]
    )


def _create_debtor_references_postgresql(batch: ImportBatch) -> None:
    """The new debtor references of the batch, each with its random access code, in one statement."""
    staged, debtor = StagedDebt._meta.db_table, DebtorReference._meta.db_table
    with connection.cursor() as cursor:
        # References already held are left as they are (with their code) by ON CONFLICT, checked
        # on the unique index: no anti-join against a table this very statement fills. OFFSET 0
        # keeps the volatile gen_random_uuid() in its subquery: one call per reference.
        cursor.execute(
            f"""
            INSERT INTO {debtor} (client_id, reference, access_code, created_at)
            SELECT %s, r.reference, {_access_code_sql("r.random")}, %s
            FROM (
                SELECT n.reference, uuid_send(gen_random_uuid()) AS random
                FROM (
                    SELECT DISTINCT s.debtor_ref AS reference FROM {staged} s
                    WHERE s.batch_id = %s AND s.status = %s AND s.debtor_ref <> ''
                ) n
                OFFSET 0
            ) r
            ON CONFLICT (client_id, reference) DO NOTHING
            """,
            [batch.client_id, timezone.now(), batch.pk, StagedDebt.Status.OK],
        )


def import_file_discard(*, batch: ImportBatch) -> None:
    """Forget the received copy once the import is over (the debts keep their raw records)."""
    if batch.file_path and os.path.exists(batch.file_path):
        os.remove(batch.file_path)


def import_batch_confirm(*, dry_run_batch: ImportBatch, user=None) -> ImportBatch:
    """After a dry run, the real import of the same file, same mode."""
    if not dry_run_batch.dry_run or dry_run_batch.state != ImportBatch.State.DONE:
        raise ImportRefused("Seul un essai à blanc terminé peut être confirmé.")
    _refuse_if_already_imported(dry_run_batch.client, dry_run_batch.file_sha256)
    if not os.path.exists(dry_run_batch.file_path):
        raise ImportRefused("Le fichier de cet essai à blanc n'est plus disponible : déposez-le à nouveau.")
    real = import_batch_create(
        client=dry_run_batch.client,
        fmt=dry_run_batch.fmt,
        path=Path(dry_run_batch.file_path),
        filename=dry_run_batch.filename,
        mode=dry_run_batch.mode,
        dry_run=False,
        encoding=dry_run_batch.encoding,
        user=user,
    )
    import_file_discard(batch=dry_run_batch)  # the real batch has its own copy
    return real
