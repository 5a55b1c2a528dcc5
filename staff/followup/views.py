"""Money follow-up pages (/gestion/suivi/): dashboard, transactions, journal of returns,
reconciliation, exports, audit trail. Agents and administrators (agent_required) only.

Thin views: forms read the filters, selectors read, services change (debts.reconciliation,
debts.services); the page and its export use the same filter form and the same selector.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from debts.models import Debt
from debts.selectors import debts_for_staff
from debts.services.debts import DebtActionRefused, debt_state_change_check, debt_undo_paid
from debts.services.reconciliation import ReconciliationFileRefused, debts_reconcile, reconciliation_file_apply
from payments.models import ReturnNotice, Transaction
from staff.debts.forms import DebtActionForm, DebtFilterForm
from staff.followup import selectors
from staff.followup.audit import audit_entries, audit_trail, debt_audit_entries
from staff.followup.chart import daily_bar_chart
from staff.followup.forms import (
    AuditFilterForm,
    BulkReconcileForm,
    InProgressFilterForm,
    NoticeFilterForm,
    ReconcileFileForm,
    TransactionFilterForm,
)
from tipiportal.exports import FORMATS, table_response
from tipiportal.roles import agent_required

PER_PAGE = 50
IN_PROGRESS_PER_PAGE = 200
# Exports stream in constant memory (tipiportal.exports); the bound is an XLSX sheet's (1,048,576 rows
# with the header), so that a file opens whole in a spreadsheet.
DEFAULT_EXPORT_MAX_ROWS = 1_048_575


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Dashboard -------------------------------------------------------------------------------


@agent_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    figures = selectors.dashboard(now=now)
    chart = daily_bar_chart([(day.day, day.count, day.cents) for day in figures.daily])
    return render(
        request,
        "staff/followup/dashboard.html",
        {
            "figures": figures,
            "chart": chart,
            "chart_days": list(reversed(figures.daily)),
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
        "staff/followup/transaction_list.html",
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
        "staff/followup/transaction_detail.html",
        {
            "transaction": transaction,
            "params": sorted(transaction.params.items()),
            "notices": notices,
            "unanswered": selectors.transaction_is_unanswered(transaction, now=now),
            "no_answer_minutes": settings.TIPI_NO_ANSWER_AFTER_MINUTES,
            "flags": [selectors.flag_label(flag) for flag in transaction.flags or []],
            "payfip_checks": transaction.payfip_checks.select_related("user")[:50] if transaction.idop else [],
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
        "staff/followup/notice_list.html",
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
        "staff/followup/reconciliation.html",
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
    # The services check it again (debt_mark_paid, as on the debt's page); checked first here so
    # that whom may not reconcile gets a 403 whatever they sent.
    debt_state_change_check(user=request.user)
    form = BulkReconcileForm(request.POST)
    if not form.is_valid():
        return _reconciliation_page(request, bulk_form=form, status=400)
    data = form.cleaned_data
    report = debts_reconcile(debt_ids=[debt.pk for debt in data["debts"]], user=request.user, reason=data["reason"])
    return _reconciliation_page(request, report=report)


@agent_required
@require_POST
def reconcile_file(request: HttpRequest) -> HttpResponse:
    debt_state_change_check(user=request.user)
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
    debt_state_change_check(user=request.user)  # as on the debt's page: no form for whom may not send it
    debt = get_object_or_404(Debt.objects.select_related("client"), pk=pk)
    form = DebtActionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            debt_undo_paid(debt=debt, user=request.user, reason=form.cleaned_data["reason"])
        except DebtActionRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, f"Le paiement de la dette {debt.refdet} est défait.")
        return redirect("followup:reconciliation")
    return render(
        request, "staff/followup/reconcile_undo.html", {"debt": debt, "form": form}, status=400 if form.errors else 200
    )


# --- Exports ---------------------------------------------------------------------------------


def _export(
    request: HttpRequest, *, fmt: str, name: str, headers: list[str], queryset, rows, back: str
) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    limit = getattr(settings, "FOLLOWUP_EXPORT_MAX_ROWS", DEFAULT_EXPORT_MAX_ROWS)
    total = queryset.count()
    if total > limit:
        messages.error(
            request, f"L'export compterait {total} lignes, {limit} au plus : choisissez des filtres plus étroits."
        )
        return redirect(back)
    return table_response(fmt=fmt, name=name, headers=headers, rows=rows)


@agent_required
@require_GET
def transaction_export(request: HttpRequest, fmt: str) -> HttpResponse:
    now = timezone.now()
    _, transactions = _transactions(request, now)
    back = reverse("followup:transaction-list") + ("?" + request.GET.urlencode() if request.GET else "")
    return _export(
        request,
        fmt=fmt,
        name="transactions",
        headers=selectors.TRANSACTION_HEADERS,
        queryset=transactions,
        rows=selectors.transaction_export_rows(transactions, now=now),
        back=back,
    )


@agent_required
@require_GET
def debt_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The debts list (/gestion/dettes/) with the same filters, as a file."""
    today = timezone.localdate()
    form = DebtFilterForm(request.GET or None)
    debts = debts_for_staff(today=today, **form.filters()) if form.is_bound else debts_for_staff(today=today)
    back = reverse("followup:exports") + ("?" + request.GET.urlencode() if request.GET else "")
    return _export(
        request,
        fmt=fmt,
        name="dettes",
        headers=selectors.DEBT_HEADERS,
        queryset=debts,
        rows=selectors.debt_export_rows(debts),
        back=back,
    )


@agent_required
@require_GET
def exports(request: HttpRequest) -> HttpResponse:
    # Two forms on one page: their fields get distinct ids (same names, as the lists read them).
    debt_form = DebtFilterForm(request.GET or None, auto_id="dettes_%s")
    transaction_form = TransactionFilterForm(request.GET or None, auto_id="transactions_%s")
    return render(
        request,
        "staff/followup/exports.html",
        {"debt_form": debt_form, "transaction_form": transaction_form, "query": request.GET.urlencode()},
    )


# --- Audit trail -----------------------------------------------------------------------------


@agent_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    page = Paginator(audit_trail(**filters), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/followup/audit.html",
        {
            "form": form,
            "page": page,
            "entries": audit_entries(list(page)),
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
        "staff/followup/audit_debt.html",
        {"debt": debt, "entries": debt_audit_entries(debt), "events": events},
    )
