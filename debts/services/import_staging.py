"""The staging table of an import, set-wise: the parsed rows copied in (binary COPY on
PostgreSQL), duplicates and conflicts found by the database, then the new debtor references
and the debts inserted in one statement each. ``imports`` parses the file and calls these.
"""

from collections.abc import Iterable

from django.db import connection
from django.db import transaction as db_transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

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

__all__ = ["STAGED_COLUMNS", "staged_debts_check", "staged_debts_copy", "staged_debts_insert"]

# Rows per bulk INSERT and per fetch where the database cannot do the work in one statement
# (SQLite): bounds memory, not the parsing (that is imports.CHUNK).
BATCH_ROWS = 5_000

# The order of the tuples ``imports`` builds for each parsed record (COPY takes them as they are).
STAGED_COLUMNS = [
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
    "due_on",
    "invoice_reference",
]


def _staged_types() -> list[str]:
    """The columns' PostgreSQL types as the model declares them ("varchar(30)" → "varchar"), so
    that binary COPY picks each column's dumper once instead of guessing it value by value."""
    fields = {f.attname: f for f in StagedDebt._meta.concrete_fields}
    return [fields[name].db_type(connection).split("(")[0] for name in STAGED_COLUMNS]


def staged_debts_copy(*, rows: list[tuple]) -> None:
    """PostgreSQL: binary COPY (the fastest way in); elsewhere: bulk_create."""
    if connection.vendor != "postgresql":
        StagedDebt.objects.bulk_create([StagedDebt(**dict(zip(STAGED_COLUMNS, row))) for row in rows], batch_size=500)
        return
    table = StagedDebt._meta.db_table
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(STAGED_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy,
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


def staged_debts_check(*, batch: ImportBatch) -> None:
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
        found = staged.filter(status=status).values_list("line_no", "refdet").iterator(chunk_size=BATCH_ROWS)
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
        if len(buffer) >= BATCH_ROWS:
            ImportIssue.objects.bulk_create(buffer)
            buffer.clear()
    ImportIssue.objects.bulk_create(buffer)


# --- Insert ------------------------------------------------------------------------


def staged_debts_insert(*, batch: ImportBatch) -> int:
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
                    created_at, updated_at, due_on, invoice_reference)
                SELECT %s, s.refdet, s.ref_parts, s.amount_cents, s.debtor_ref, d.id, s.debtor_name,
                    s.debtor_address, s.label, s.issued_on, s.online_from, s.online_until, %s, s.batch_id,
                    s.raw_record, %s, %s, s.due_on, s.invoice_reference
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
        .iterator(chunk_size=BATCH_ROWS)
    )
    buffer: list[DebtorReference] = []
    for reference in new_refs:
        buffer.append(DebtorReference(client_id=batch.client_id, reference=reference, access_code=new_access_code()))
        if len(buffer) >= BATCH_ROWS:
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
