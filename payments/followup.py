"""Money follow-up pages (/gestion/suivi/): dashboard, transactions, journal of returns,
reconciliation, exports, audit trail. Agents and administrators (agent_required) only.

Thin views: forms read the filters, selectors read, services change (debts.reconciliation,
debts.services); the page and its export use the same filter form and the same selector.
"""

import datetime
from decimal import Decimal

import tablib
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from debts.forms import DebtActionForm, DebtFilterForm
from debts.models import Debt
from debts.reconciliation import ReconciliationFileRefused, debts_reconcile, reconciliation_file_apply
from debts.selectors import debts_for_staff
from debts.services import DebtActionRefused, debt_undo_paid
from payments import followup_selectors as selectors
from payments.followup_chart import daily_bar_chart
from payments.followup_forms import (
    AuditFilterForm,
    BulkReconcileForm,
    InProgressFilterForm,
    NoticeFilterForm,
    ReconcileFileForm,
    TransactionFilterForm,
)
from payments.models import ReturnNotice, Transaction
from tipiportal.roles import agent_required

PER_PAGE = 50
IN_PROGRESS_PER_PAGE = 200
DEFAULT_EXPORT_MAX_ROWS = 100_000  # a spreadsheet is built in memory; more rows: narrow the filters
EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _reconciler(request: HttpRequest) -> None:
    if not request.user.has_perm("debts.reconcile_debt"):
        raise PermissionDenied


# --- Dashboard -------------------------------------------------------------------------------


@agent_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    figures = selectors.dashboard(now=now)
    chart = daily_bar_chart([(day.day, day.count, day.cents) for day in figures.daily])
    return render(
        request,
        "followup/dashboard.html",
        {
            "figures": figures,
            "chart": chart,
            "chart_days": [day for day in reversed(figures.daily)],
            "no_answer_minutes": settings.TIPI_NO_ANSWER_AFTER_MINUTES,
            "today": timezone.localdate(),
            "outcome_days": selectors.OUTCOME_DAYS,
            "in_progress_count": next(count for state, _, count, _ in figures.debts_by_state if state == "in_progress"),
        },
    )


# --- Transactions ----------------------------------------------------------------------------


def _transactions(request: HttpRequest, now: datetime.datetime):
    form = TransactionFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    return form, selectors.transactions_for_staff(now=now, **filters)


@agent_required
@require_GET
def transaction_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    form, transactions = _transactions(request, now)
    page = Paginator(transactions, PER_PAGE).get_page(request.GET.get("page"))
    rows = [(transaction, selectors.transaction_is_unanswered(transaction, now=now)) for transaction in page]
    query = _query_without_page(request)
    return render(
        request,
        "followup/transaction_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query,
            "no_answer_minutes": settings.TIPI_NO_ANSWER_AFTER_MINUTES,
        },
    )


@agent_required
@require_GET
def transaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        transaction = selectors.transaction_for_staff_detail(pk)
    except Transaction.DoesNotExist:
        raise Http404 from None
    now = timezone.now()
    notices = [
        (notice, selectors.notice_is_suspicious(notice), [selectors.flag_label(flag) for flag in notice.flags or []])
        for notice in transaction.notices.all()
    ]
    return render(
        request,
        "followup/transaction_detail.html",
        {
            "transaction": transaction,
            "params": sorted(transaction.params.items()),
            "notices": notices,
            "unanswered": selectors.transaction_is_unanswered(transaction, now=now),
            "no_answer_minutes": settings.TIPI_NO_ANSWER_AFTER_MINUTES,
            "flags": [selectors.flag_label(flag) for flag in transaction.flags or []],
        },
    )


# --- Journal of returns ----------------------------------------------------------------------


@agent_required
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    form = NoticeFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    page = Paginator(selectors.notices_for_staff(**filters), PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        (notice, selectors.notice_is_suspicious(notice), [selectors.flag_label(flag) for flag in notice.flags or []])
        for notice in page
    ]
    today = timezone.localdate()
    count_to = filters.get("date_to") or today
    count_from = filters.get("date_from") or count_to - datetime.timedelta(days=selectors.OUTCOME_DAYS - 1)
    return render(
        request,
        "followup/notice_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": _query_without_page(request),
            "outcomes": [
                (outcome, selectors.OUTCOME_SHORT_LABELS.get(outcome, label), label)
                for outcome, label in ReturnNotice.Outcome.choices
            ],
            "per_day": selectors.notice_counts_per_day(date_from=count_from, date_to=count_to),
            "count_from": count_from,
            "count_to": count_to,
        },
    )


# --- Reconciliation --------------------------------------------------------------------------


def _reconciliation_page(request, *, bulk_form=None, file_form=None, report=None, status=200) -> HttpResponse:
    filter_form = InProgressFilterForm(request.GET or None, auto_id="filtre_%s")
    client = filter_form.cleaned_data.get("client") if filter_form.is_valid() else None
    debts = selectors.debts_in_progress(client=client)
    page = Paginator(debts, IN_PROGRESS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "followup/reconciliation.html",
        {
            "filter_form": filter_form,
            "page": page,
            "query": _query_without_page(request),
            "bulk_form": bulk_form or BulkReconcileForm(),
            "file_form": file_form or ReconcileFileForm(initial={"client": client.pk} if client else None),
            "report": report,
            "recent": selectors.reconciliations_recent(),
        },
        status=status,
    )


@agent_required
@require_GET
def reconciliation(request: HttpRequest) -> HttpResponse:
    return _reconciliation_page(request)


@agent_required
@require_POST
def reconcile_bulk(request: HttpRequest) -> HttpResponse:
    _reconciler(request)
    form = BulkReconcileForm(request.POST)
    if not form.is_valid():
        return _reconciliation_page(request, bulk_form=form, status=400)
    data = form.cleaned_data
    report = debts_reconcile(debt_ids=[debt.pk for debt in data["debts"]], user=request.user, reason=data["reason"])
    return _reconciliation_page(request, report=report)


@agent_required
@require_POST
def reconcile_file(request: HttpRequest) -> HttpResponse:
    _reconciler(request)
    form = ReconcileFileForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = reconciliation_file_apply(
                client=form.cleaned_data["client"], content=upload.read(), filename=upload.name, user=request.user
            )
        except ReconciliationFileRefused as refused:
            form.add_error("file", str(refused))
        else:
            return _reconciliation_page(request, report=report)
    return _reconciliation_page(request, file_form=form, status=400)


@agent_required
@require_http_methods(["GET", "POST"])
def reconcile_undo(request: HttpRequest, pk: int) -> HttpResponse:
    debt = get_object_or_404(Debt.objects.select_related("client"), pk=pk)
    form = DebtActionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        _reconciler(request)
        if form.is_valid():
            try:
                debt_undo_paid(debt=debt, user=request.user, reason=form.cleaned_data["reason"])
            except DebtActionRefused as refused:
                messages.error(request, str(refused))
            else:
                messages.success(request, f"Le paiement de la dette {debt.refdet} est défait.")
            return redirect("followup:reconciliation")
    return render(
        request, "followup/reconcile_undo.html", {"debt": debt, "form": form}, status=400 if form.errors else 200
    )


# --- Exports ---------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value):
    """A text cell that a spreadsheet cannot run as a formula (names and labels come from files)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_value(value):
    """French spreadsheets: 38,08 and 22/11/2026."""
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, datetime.datetime):
        return f"{value:%d/%m/%Y %H:%M:%S}"
    if isinstance(value, datetime.date):
        return f"{value:%d/%m/%Y}"
    return "" if value is None else value


def _export(
    request: HttpRequest, *, fmt: str, name: str, headers: list[str], queryset, rows, back: str
) -> HttpResponse:
    if fmt not in EXPORT_FORMATS:
        raise Http404
    limit = getattr(settings, "FOLLOWUP_EXPORT_MAX_ROWS", DEFAULT_EXPORT_MAX_ROWS)
    total = queryset.count()
    if total > limit:
        messages.error(
            request, f"L'export compterait {total} lignes, {limit} au plus : choisissez des filtres plus étroits."
        )
        return redirect(back)
    dataset = tablib.Dataset(headers=headers, title=name.capitalize()[:31])
    for row in rows:
        row = [_safe(value) for value in row]
        dataset.append([_csv_value(value) for value in row] if fmt == "csv" else row)
    if fmt == "csv":
        body = ("\ufeff" + dataset.export("csv", delimiter=";", lineterminator="\r\n")).encode("utf-8")
    else:
        body = dataset.export("xlsx")
    response = HttpResponse(body, content_type=EXPORT_FORMATS[fmt])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{fmt}"'
    return response


@agent_required
@require_GET
def transaction_export(request: HttpRequest, fmt: str) -> HttpResponse:
    now = timezone.now()
    _, transactions = _transactions(request, now)
    back = reverse("followup:transaction-list") + ("?" + request.GET.urlencode() if request.GET else "")
    return _export(
        request, fmt=fmt, name="transactions", headers=selectors.TRANSACTION_HEADERS, queryset=transactions,
        rows=selectors.transaction_export_rows(transactions, now=now), back=back,
    )  # fmt: skip


@agent_required
@require_GET
def debt_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The debts list (/gestion/dettes/) with the same filters, as a file."""
    today = timezone.localdate()
    form = DebtFilterForm(request.GET or None)
    debts = debts_for_staff(today=today, **form.filters()) if form.is_bound else debts_for_staff(today=today)
    back = reverse("followup:exports") + ("?" + request.GET.urlencode() if request.GET else "")
    return _export(
        request, fmt=fmt, name="dettes", headers=selectors.DEBT_HEADERS, queryset=debts,
        rows=selectors.debt_export_rows(debts), back=back,
    )  # fmt: skip


@agent_required
@require_GET
def exports(request: HttpRequest) -> HttpResponse:
    # Two forms on one page: their fields get distinct ids (same names, as the lists read them).
    debt_form = DebtFilterForm(request.GET or None, auto_id="dettes_%s")
    transaction_form = TransactionFilterForm(request.GET or None, auto_id="transactions_%s")
    return render(
        request,
        "followup/exports.html",
        {"debt_form": debt_form, "transaction_form": transaction_form, "query": request.GET.urlencode()},
    )


# --- Audit trail -----------------------------------------------------------------------------


@agent_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    page = Paginator(selectors.audit_trail(**filters), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "followup/audit.html",
        {
            "form": form,
            "page": page,
            "entries": selectors.audit_entries(list(page)),
            "query": _query_without_page(request),
        },
    )


@agent_required
@require_GET
def audit_debt(request: HttpRequest, pk: int) -> HttpResponse:
    debt = get_object_or_404(Debt.objects.select_related("client"), pk=pk)
    events = debt.events.select_related("user").order_by("-at", "-pk")
    return render(
        request,
        "followup/audit_debt.html",
        {"debt": debt, "entries": selectors.debt_audit_entries(debt), "events": events},
    )
