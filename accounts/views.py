"""The citizen's account (SAISIE=A): linked references, the debt list, pay one debt."""

import datetime
from typing import NamedTuple

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import PayConfirmForm, ReferenceLinkForm
from accounts.selectors import (
    DebtStatus,
    account_debt_get,
    account_debt_list,
    account_references,
    account_totals,
    account_transaction_find,
    debt_outstanding_cents,
    debt_reference_as_printed,
    debt_status,
    reference_debt_count,
)
from debts.models import Debt
from debts.services.references import ReferenceLinkRefused, reference_link, reference_unlink
from payments.selectors import transaction_status
from payments.services.transactions import PaymentRefused, account_payment_start
from payments.session import transaction_remember
from payments.tipi import refdet_as_printed
from tipiportal.money import format_euros
from tipiportal.network import TOO_MANY, too_many_posts

# A family account has tens of debts: past a page, the list (and its polled states) is paged.
DEBTS_PER_PAGE = 100


def _debt_page(request: HttpRequest) -> Page:
    """The page of the account's debts asked for by ?page= (the last one past the end, the first
    one when made up): the list and its polled states read the same one."""
    return Paginator(account_debt_list(request.user), DEBTS_PER_PAGE).get_page(request.GET.get("page"))


class DebtRow(NamedTuple):
    """A row of the list; its markup is in templates/accounts/debt_list.html. The dates come
    formatted as debt_status formats its own: Django's date formatting (|date, two per row) took
    a third of the page's rendering for 100 rows (46 → 30 ms CPU, same HTML, bench/account_page.py's data)."""

    debt: Debt
    status: DebtStatus
    issued_on: str
    online_until: str
    reference: str  # as printed on the bill; REFDET is a detail
    outstanding_cents: int
    due_on: str  # a régie invoice's due date; "" for titres


def _debt_rows(page: Page, today: datetime.date) -> list[DebtRow]:
    return [
        DebtRow(
            debt,
            debt_status(debt, today),
            f"{debt.issued_on:%d/%m/%Y}" if debt.issued_on else "–",
            f"{debt.online_until:%d/%m/%Y}",
            debt_reference_as_printed(debt),
            debt_outstanding_cents(debt),
            f"{debt.due_on:%d/%m/%Y}" if debt.due_on else "",
        )
        for debt in page
    ]


def _totals_json(user) -> dict[str, str]:
    totals = account_totals(user)
    return {
        "billed": format_euros(totals.billed_cents),
        "paid": format_euros(totals.paid_cents),
        "outstanding": format_euros(totals.outstanding_cents),
    }


def _query_without_page(request: HttpRequest) -> str:
    """The query string the page links keep (a payment's public id), "page" left out."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
@never_cache
def debt_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    page = _debt_page(request)
    payment = None
    # Another account's (or a made-up) id shows no payment panel, and nothing of it.
    if transaction := account_transaction_find(request.user, request.GET.get("paiement", "")):
        payment = {
            "transaction": transaction,
            "status": transaction_status(transaction),
            "reference": debt_reference_as_printed(transaction.debt)
            if transaction.debt_id
            else refdet_as_printed(transaction.client.tipi_protocol, transaction.refdet),
        }
    context = {
        "page": page,
        "rows": _debt_rows(page, today),
        "query": _query_without_page(request),
        "payment": payment,
        "totals": account_totals(request.user),
        # A listed debt comes from a linked reference: ask only when there is none.
        "has_references": page.paginator.count > 0 or account_references(request.user).exists(),
    }
    return render(request, "accounts/debt_list.html", context)


@login_required
@never_cache
@require_GET
def debt_states(request: HttpRequest) -> JsonResponse:
    """Polled by the list: the status of each debt of the page shown (?page= as in the list's
    links), so that it updates without a reload."""
    today = timezone.localdate()
    states = {}
    for debt in _debt_page(request):
        status = debt_status(debt, today)
        states[str(debt.pk)] = {
            "code": status.code,
            "label": status.label,
            "payable": status.payable,
            "outstanding": format_euros(debt_outstanding_cents(debt)),
        }
    return JsonResponse({"debts": states, "totals": _totals_json(request.user)})


@login_required
def debt_pay(request: HttpRequest, pk: int) -> HttpResponse:
    debt = account_debt_get(request.user, pk)
    if debt is None:
        raise Http404
    status = debt_status(debt, timezone.localdate())
    form = PayConfirmForm(request.POST if request.method == "POST" else None, initial={"email": request.user.email})
    refusals: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            transaction = account_payment_start(user=request.user, debt=debt, email=form.cleaned_data["email"])
        except PaymentRefused as refused:
            refusals = [message for _, message in refused.messages("A")]
        else:
            transaction_remember(request, transaction)
            return redirect(f"{reverse('accounts:debts')}?paiement={transaction.public_id}#paiement")
    context = {
        "debt": debt,
        "reference": debt_reference_as_printed(debt),
        "status": status,
        "form": form,
        "refusals": refusals,
    }
    return render(request, "accounts/debt_pay.html", context, status=409 if refusals else 200)


@login_required
def references(request: HttpRequest) -> HttpResponse:
    form = ReferenceLinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and too_many_posts(request, "reference-link", settings.RATE_LIMIT_REFERENCE_LINK):
        form.is_valid()  # bind the input so the page shows it back
        form.add_error(None, TOO_MANY)
        context = {"form": form, "references": account_references(request.user)}
        return render(request, "accounts/references.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            debtor = reference_link(
                user=request.user, client=data["client"], reference=data["reference"], access_code=data["access_code"]
            )
        except ReferenceLinkRefused as refused:
            form.add_error("access_code", str(refused))
        else:
            messages.success(request, f"La référence {debtor.reference} est rattachée à votre compte.")
            return redirect("accounts:references")
    return render(request, "accounts/references.html", {"form": form, "references": account_references(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def reference_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (what the citizen will no longer see), POST removes."""
    debtor = get_object_or_404(account_references(request.user), pk=pk)
    if request.method == "GET":
        context = {"debtor": debtor, "debt_count": reference_debt_count(debtor)}
        return render(request, "accounts/reference_remove.html", context)
    reference_unlink(debtor=debtor, user=request.user)
    messages.success(request, f"La référence {debtor.reference} n'est plus rattachée à votre compte.")
    return redirect("accounts:references")
