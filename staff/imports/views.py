"""Debt file imports (/gestion/imports/): upload, dry-run report, live progress, confirmation, reports as CSV.

Every view requires an agent; they call services and selectors only.
"""

import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from debts.models import ImportBatch
from debts.selectors import (
    import_batch_access_codes,
    import_batch_already_imported,
    import_batch_issues,
    import_batch_report_rows,
    import_batch_status,
    import_batches_for_staff,
)
from debts.services.imports import ImportRefused, import_batch_confirm, import_batch_create, import_batch_dry_run_again
from debts.tasks import import_batch_run
from staff.imports.forms import ImportModeForm, ImportUploadForm
from tipiportal.exports import csv_streaming_response
from tipiportal.roles import agent_required

BATCHES_PER_PAGE = 50
ISSUES_PER_PAGE = 100
CSV_HEADER = ["ligne", "pièce", "nature", "champ", "valeur", "message"]


# --- Imports ---------------------------------------------------------------------------


@agent_required
@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(import_batches_for_staff(), BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "staff/imports/batch_list.html", {"page": page})


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
                    client=data["client"],
                    fmt=data["fmt"],
                    path=path,
                    filename=upload.name,
                    mode=data["mode"],
                    dry_run=True,
                    encoding=data["encoding"],
                    user=request.user,
                )
        except ImportRefused as refused:
            form.add_error(None, str(refused))
        else:
            import_batch_run.enqueue(batch.pk)
            return redirect("staff:batch-detail", pk=batch.pk)
    return render(request, "staff/imports/batch_new.html", {"form": form}, status=400 if form.errors else 200)


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
        if batch.dry_run and batch.state in (ImportBatch.State.DONE, ImportBatch.State.REJECTED) and batch.file_path:
            other = ImportBatch.Mode.PARTIAL if batch.mode == ImportBatch.Mode.COMPLETE else ImportBatch.Mode.COMPLETE
            context["mode_form"] = ImportModeForm(initial={"mode": other}, auto_id="changer_%s")
    return render(request, "staff/imports/batch_detail.html", context)


@agent_required
@never_cache
@require_GET
def batch_status(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(import_batch_status(_batch(pk)))


@agent_required
@require_GET
def batch_report_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    batch = _batch(pk)
    return csv_streaming_response(f"compte-rendu-import-{batch.pk}.csv", CSV_HEADER, import_batch_report_rows(batch))


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


@agent_required
@require_POST
def batch_mode_change(request: HttpRequest, pk: int) -> HttpResponse:
    """A finished dry run done again in the mode chosen now, from the file already received."""
    dry_run = _batch(pk)
    form = ImportModeForm(request.POST)
    try:
        if not form.is_valid():
            raise ImportRefused("Choisissez le mode d'import.")
        batch = import_batch_dry_run_again(dry_run_batch=dry_run, mode=form.cleaned_data["mode"], user=request.user)
    except ImportRefused as refused:
        messages.error(request, str(refused))
        return redirect("staff:batch-detail", pk=dry_run.pk)
    import_batch_run.enqueue(batch.pk)
    messages.success(request, f"Nouvel essai à blanc en mode « {batch.get_mode_display()} », sans renvoyer le fichier.")
    return redirect("staff:batch-detail", pk=batch.pk)


@agent_required
@require_GET
def batch_access_codes_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The access codes of the debtors of an import, for the authority to print on its bills."""
    batch = _batch(pk)
    header = ["référence débiteur", "nom", "adresse", "code d'accès"]
    return csv_streaming_response(f"codes-acces-import-{batch.pk}.csv", header, import_batch_access_codes(batch))
