"""Reads on debts."""

import datetime
from collections.abc import Iterator

from django.db.models import Exists, OuterRef, Prefetch, Q

from debts.models import Debt, DebtEvent, DebtorReference, ImportBatch, ImportIssue
from payments.models import ReturnNotice, TipiClient, Transaction
from tipiportal.search import Folded, folded

# Issues read from the database at a time when a report is streamed.
REPORT_CHUNK = 2_000


def debt_get_for_client(*, client: TipiClient, refdet: str) -> Debt | None:
    return Debt.objects.select_related("client").filter(client=client, refdet=refdet).first()


def batch_report_lines(batch: ImportBatch) -> Iterator[str]:
    """The import report as text lines (command output; the staff page shows the same).

    Streamed: the issues are read from the database in chunks as the lines are consumed, so a
    report of a million bad lines is never held in memory.
    """
    yield (
        f"Fichier : {batch.filename} ({batch.get_fmt_display()}, mode {batch.get_mode_display().lower()}"
        f"{', essai à blanc' if batch.dry_run else ''})"
    )
    yield f"État : {batch.get_state_display()}"
    if batch.fatal_error:
        yield f"Erreur : {batch.fatal_error}"
    yield f"Enregistrements lus : {batch.records_read}"
    yield f"{'Dettes qui seraient importées' if batch.dry_run else 'Dettes importées'} : {batch.imported}"
    yield f"Lignes identiques ignorées : {batch.identical}"
    yield f"Anomalies : {batch.rejected}"
    issues = import_batch_issues(batch).values_list("line_no", "piece_id", "field", "value", "message")
    for line_no, piece_id, field, value, message in issues.iterator(chunk_size=REPORT_CHUNK):
        where = f"ligne {line_no}" + (f" (pièce {piece_id})" if piece_id else "")
        yield f"  {where} – {field} = « {value} » : {message}"


# --- Staff pages -------------------------------------------------------------------

ONLINE_FILTERS = {
    "online": "Payable en ligne aujourd'hui",
    "expired": "Délai de paiement en ligne dépassé",
    "not_yet": "Pas encore en ligne",
}


def import_batches_for_staff():
    """Every import batch, newest first, with what the list shows (no query per row)."""
    return ImportBatch.objects.select_related("client", "created_by").order_by("-created_at", "-pk")


def import_batch_status(batch: ImportBatch) -> dict:
    """What the batch page polls: read from the database, so it survives a reload."""
    return {
        "id": batch.pk,
        "state": batch.state,
        "state_label": batch.get_state_display(),
        "phase": batch.phase,
        "percent": batch.progress_percent,
        "finished": batch.finished,
        "counts": {
            "records_read": batch.records_read,
            "imported": batch.imported,
            "identical": batch.identical,
            "rejected": batch.rejected,
        },
    }


def import_batch_issues(batch: ImportBatch):
    return batch.issues.order_by("line_no", "pk")


def import_batch_report_rows(batch: ImportBatch):
    """The issues as rows (line, piece, kind, field, value, message), streamed in chunks."""
    kinds = dict(ImportIssue.Kind.choices)
    rows = import_batch_issues(batch).values_list("line_no", "piece_id", "kind", "field", "value", "message")
    for line_no, piece_id, kind, field, value, message in rows.iterator(chunk_size=REPORT_CHUNK):
        yield line_no, piece_id, kinds.get(kind, kind), field, value, message


def import_batch_already_imported(batch: ImportBatch) -> ImportBatch | None:
    """The real import that already holds this batch's file (same client), if any."""
    return (
        ImportBatch.objects.filter(client_id=batch.client_id, file_sha256=batch.file_sha256, dry_run=False)
        .exclude(pk=batch.pk)
        .exclude(state__in=[ImportBatch.State.REJECTED, ImportBatch.State.FAILED])
        .order_by("created_at")
        .first()
    )


def debts_for_staff(
    *,
    today: datetime.date,
    client: TipiClient | None = None,
    state: str = "",
    online: str = "",
    debtor_ref: str = "",
    search: str = "",
):
    """The debts list of the staff pages, filtered; one query per page whatever its size."""
    debts = Debt.objects.select_related("client").order_by("-online_from", "refdet", "pk")
    if client is not None:
        debts = debts.filter(client=client)
    if state:
        debts = debts.filter(state=state)
    if online == "online":
        debts = debts.filter(online_from__lte=today, online_until__gte=today)
    elif online == "expired":
        debts = debts.filter(online_until__lt=today)
    elif online == "not_yet":
        debts = debts.filter(online_from__gt=today)
    if debtor_ref:
        debts = debts.filter(debtor_ref__iexact=debtor_ref)
    if search:
        # Case and accents ignored in names ("noel" finds "NOËL"); REFDET is digits and capitals.
        debts = debts.alias(name_folded=Folded("debtor_name")).filter(
            Q(refdet__icontains=search)
            | Q(invoice_reference__icontains=search)
            | Q(name_folded__contains=folded(search))
        )
    return debts


def debts_for_staff_detail():
    """Debts with what the detail page shows: client, debtor, batch, transactions and their
    return notices (without their raw bodies), audit events with their authors."""
    notices = ReturnNotice.objects.defer("body").order_by("received_at", "pk")
    transactions = Transaction.objects.order_by("-created_at", "-pk").prefetch_related(
        Prefetch("notices", queryset=notices)
    )
    return Debt.objects.select_related("client", "debtor", "batch").prefetch_related(
        Prefetch("transactions", queryset=transactions),
        Prefetch("events", queryset=DebtEvent.objects.select_related("user").order_by("-at", "-pk")),
    )


def debt_debtor_reference(debt: Debt) -> DebtorReference | None:
    """The debtor reference of a debt (linked, or found by client and reference)."""
    if debt.debtor_id:
        return debt.debtor
    if not debt.debtor_ref:
        return None
    return DebtorReference.objects.filter(client_id=debt.client_id, reference=debt.debtor_ref).first()


def import_batch_access_codes(batch: ImportBatch):
    """(reference, name, address, access code) of each debtor of an import, once each."""
    from django.db.models import Min

    debtors = (
        DebtorReference.objects.filter(debts__batch=batch)
        .values("reference", "access_code")
        .annotate(name=Min("debts__debtor_name"), address=Min("debts__debtor_address"))
        .order_by("reference")
    )
    for row in debtors.iterator(chunk_size=2000):
        yield row["reference"], row["name"], row["address"].replace("\n", ", "), row["access_code"]


def user_by_email(email: str):
    from django.contrib.auth import get_user_model

    email = email.strip()
    if not email:
        return None
    return get_user_model().objects.filter(email__iexact=email).first()


def debt_with_debtor(pk: int) -> tuple[Debt, DebtorReference] | None:
    """A debt and its debtor reference for the staff pages; None when either is missing (the
    views answer 404)."""
    debt = Debt.objects.select_related("client", "debtor").filter(pk=pk).first()
    if debt is None:
        return None
    debtor = debt_debtor_reference(debt)
    if debtor is None:
        return None
    return debt, debtor


# --- Public bodies (invoiced through Chorus Pro, never paid by card) ------------------------
# The choruspro app owns PublicBody, a one-to-one on DebtorReference (related name
# ``public_body``); debts reads it through that relation by name, so that the import arrow
# stays choruspro → debts.

PUBLIC_BODY_ANNOTATION = "chorus_public_body"


def public_body_annotation() -> dict:
    """For a Debt queryset: ``.annotate(**public_body_annotation())`` lets debt_is_public_body
    answer without a query per row."""
    public = DebtorReference.objects.filter(pk=OuterRef("debtor_id"), public_body__isnull=False)
    return {PUBLIC_BODY_ANNOTATION: Exists(public)}


def debt_is_public_body(debt: Debt) -> bool:
    """A debt whose debtor is a public body: invoiced through Chorus Pro, not paid by card."""
    annotated = getattr(debt, PUBLIC_BODY_ANNOTATION, None)
    if annotated is not None:
        return bool(annotated)
    if "debtor_id" not in debt.__dict__:  # deferred: ask through the debt
        return DebtorReference.objects.filter(debts=debt, public_body__isnull=False).exists()
    if debt.debtor_id is None:
        return False
    return DebtorReference.objects.filter(pk=debt.debtor_id, public_body__isnull=False).exists()
