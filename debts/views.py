"""Staff pages (/gestion/): debt file imports with their progress and report, debts and their actions.

Every view requires a staff member (the admin's login page); they call services and selectors only.
"""

import csv
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from tipiportal.roles import agent_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from debts.forms import DebtActionForm, DebtFilterForm, ImportUploadForm
from debts.imports import ImportRefused, import_batch_confirm, import_batch_create
from debts.models import Debt, ImportBatch
from debts.selectors import (
    debt_debtor_reference,
    debt_with_debtor_or_404,
    debts_for_staff,
    debts_for_staff_detail,
    import_batch_already_imported,
    import_batch_issues,
    import_batch_report_rows,
    import_batch_status,
    import_batch_access_codes,
    import_batches_for_staff,
    user_by_email,
)
from debts.services import (
    DebtActionRefused,
    debt_cancel,
    debt_mark_paid,
    reference_link_by_staff,
    reference_unlink,
)
from debts.tasks import import_batch_run

BATCHES_PER_PAGE = 50
ISSUES_PER_PAGE = 100
DEBTS_PER_PAGE = 50
CSV_HEADER = ["ligne", "pièce", "nature", "champ", "valeur", "message"]


@agent_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/home.html", {"recent_batches": import_batches_for_staff()[:5]})


# --- Imports ---------------------------------------------------------------------------


@agent_required
@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(import_batches_for_staff(), BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "staff/batch_list.html", {"page": page})


@agent_required
@require_http_methods(["GET", "POST"])
def batch_new(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            with _upload_on_disk(upload) as path:
                batch = import_batch_create(
                    client=data["client"], fmt=data["fmt"], path=path, filename=upload.name, mode=data["mode"],
                    dry_run=True, encoding=data["encoding"], user=request.user,
                )  # fmt: skip
        except ImportRefused as refused:
            form.add_error(None, str(refused))
        else:
            import_batch_run.enqueue(batch.pk)
            return redirect("staff:batch-detail", pk=batch.pk)
    return render(request, "staff/batch_new.html", {"form": form}, status=400 if form.errors else 200)


class _upload_on_disk:
    """The upload as a file on disk: Django's own temporary file, or a copy of a small upload."""

    def __init__(self, upload) -> None:
        self.upload = upload
        self.copy: str | None = None

    def __enter__(self) -> Path:
        if hasattr(self.upload, "temporary_file_path"):
            return Path(self.upload.temporary_file_path())
        handle, self.copy = tempfile.mkstemp(prefix="import-", dir=settings.FILE_UPLOAD_TEMP_DIR)
        with os.fdopen(handle, "wb") as out:
            for chunk in self.upload.chunks():
                out.write(chunk)
        return Path(self.copy)

    def __exit__(self, *exc) -> None:
        if self.copy:
            os.unlink(self.copy)


def _batch(pk: int) -> ImportBatch:
    return get_object_or_404(import_batches_for_staff(), pk=pk)


@agent_required
@never_cache
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch(pk)
    context = {"batch": batch, "status": import_batch_status(batch)}
    if batch.finished:
        context["issues"] = Paginator(import_batch_issues(batch), ISSUES_PER_PAGE).get_page(request.GET.get("page"))
        if batch.dry_run and batch.state == ImportBatch.State.DONE:
            context["already_imported"] = import_batch_already_imported(batch)
    return render(request, "staff/batch_detail.html", context)


@agent_required
@never_cache
@require_GET
def batch_status(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(import_batch_status(_batch(pk)))


class _Echo:
    def write(self, value: str) -> str:
        return value


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A spreadsheet cell that cannot run as a formula (the values come from uploaded files)."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """A streamed CSV for French spreadsheets: `;` separator, UTF-8 with a BOM."""
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")

    def lines():
        yield "\ufeff" + writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@agent_required
@require_GET
def batch_report_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    batch = _batch(pk)
    rows = ([_cell(value) for value in row] for row in import_batch_report_rows(batch))
    return _csv_response(f"compte-rendu-import-{batch.pk}.csv", CSV_HEADER, rows)


@agent_required
@require_POST
def batch_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    dry_run = _batch(pk)
    try:
        batch = import_batch_confirm(dry_run_batch=dry_run, user=request.user)
    except ImportRefused as refused:
        messages.error(request, str(refused))
        return redirect("staff:batch-detail", pk=dry_run.pk)
    import_batch_run.enqueue(batch.pk)
    messages.success(request, "Import confirmé : les dettes sont en cours d'enregistrement.")
    return redirect("staff:batch-detail", pk=batch.pk)


# --- Debts -----------------------------------------------------------------------------


@agent_required
@require_GET
def debt_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = DebtFilterForm(request.GET or None)
    debts = debts_for_staff(today=today, **form.filters()) if form.is_bound else debts_for_staff(today=today)
    page = Paginator(debts, DEBTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "staff/debt_list.html", {"form": form, "page": page, "today": today, "query": query.urlencode()}
    )


@agent_required
@require_GET
def debt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    debt = get_object_or_404(debts_for_staff_detail(), pk=pk)
    return render(
        request,
        "staff/debt_detail.html",
        {"debt": debt, "debtor": debt_debtor_reference(debt), "today": timezone.localdate()},
    )


DEBT_ACTIONS = {
    "cancel": {
        "service": debt_cancel,
        "title": "Annuler la dette",
        "explanation": "La dette ne pourra plus être payée en ligne. Cette action est conservée dans son historique.",
        "button": "Confirmer l'annulation",
        "done": "Dette annulée.",
    },
    "mark_paid": {
        "service": debt_mark_paid,
        "title": "Marquer la dette payée",
        "explanation": "À faire quand le paiement est confirmé (Hélios, fichier de retour, autre moyen de "
        "paiement). Cette action est conservée dans l'historique de la dette.",
        "button": "Confirmer le paiement",
        "done": "Dette marquée payée.",
    },
}


def _debt_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    debt = get_object_or_404(Debt.objects.select_related("client"), pk=pk)
    spec = DEBT_ACTIONS[action]
    form = DebtActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            spec["service"](debt=debt, user=request.user, reason=form.cleaned_data["reason"])
        except DebtActionRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, spec["done"])
        return redirect("staff:debt-detail", pk=debt.pk)
    return render(
        request,
        "staff/debt_action.html",
        {"debt": debt, "form": form, "action": spec, "today": timezone.localdate()},
        status=400 if form.errors else 200,
    )


@agent_required
@require_http_methods(["GET", "POST"])
def debt_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _debt_action(request, pk, "cancel")


@agent_required
@require_http_methods(["GET", "POST"])
def debt_mark_paid_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _debt_action(request, pk, "mark_paid")


@agent_required
@require_GET
def batch_access_codes_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The access codes of the debtors of an import, for the authority to print on its bills."""
    batch = _batch(pk)
    header = ["référence débiteur", "nom", "adresse", "code d'accès"]
    rows = ([_cell(value) for value in row] for row in import_batch_access_codes(batch))
    return _csv_response(f"codes-acces-import-{batch.pk}.csv", header, rows)


@agent_required
@require_POST
def reference_link_view(request: HttpRequest, pk: int) -> HttpResponse:
    debt, debtor = debt_with_debtor_or_404(pk)
    user = user_by_email(request.POST.get("email", ""))
    if user is None:
        messages.error(request, "Aucun compte usager n'a cette adresse électronique : l'usager doit d'abord créer son compte.")
    else:
        reference_link_by_staff(debtor=debtor, user=user, staff=request.user)
        messages.success(request, f"Le compte {user.email} est rattaché à la référence {debtor.reference}.")
    return redirect("staff:debt-detail", pk=debt.pk)


@agent_required
@require_POST
def reference_unlink_view(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    debt, debtor = debt_with_debtor_or_404(pk)
    link = get_object_or_404(debtor.links.select_related("user"), pk=link_pk)
    reference_unlink(debtor=debtor, user=link.user)
    messages.success(request, f"Le compte {link.user.email} n'est plus rattaché à la référence {debtor.reference}.")
    return redirect("staff:debt-detail", pk=debt.pk)
