"""The citizen's account (SAISIE=A): linked references, the debt list, pay one debt."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import PayConfirmForm, ReferenceLinkForm
from accounts.selectors import (
    account_debt_get,
    account_debts,
    account_references,
    account_transaction_find,
    debt_status,
)
from debts.services import ReferenceLinkRefused, reference_link, reference_unlink
from payments.selectors import transaction_status
from payments.services import PaymentRefused, account_payment_start
from payments.views import remember_transaction


@login_required
@never_cache
def debt_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [(debt, debt_status(debt, today)) for debt in account_debts(request.user)]
    payment = None
    # Another account's (or a made-up) token shows no payment panel, and nothing of it.
    if transaction := account_transaction_find(request.user, request.GET.get("paiement", "")):
        payment = {"transaction": transaction, "status": transaction_status(transaction)}
    context = {"rows": rows, "payment": payment, "has_references": account_references(request.user).exists()}
    return render(request, "accounts/debt_list.html", context)


@login_required
@never_cache
@require_GET
def debt_states(request: HttpRequest) -> JsonResponse:
    """Polled by the list: each debt's status, so the page updates without a reload."""
    today = timezone.localdate()
    states = {}
    for debt in account_debts(request.user):
        status = debt_status(debt, today)
        states[str(debt.pk)] = {"code": status.code, "label": status.label, "payable": status.payable}
    return JsonResponse({"debts": states})


@login_required
def debt_pay(request: HttpRequest, pk: int) -> HttpResponse:
    debt = account_debt_get(request.user, pk)
    status = debt_status(debt, timezone.localdate())
    form = PayConfirmForm(request.POST or None, initial={"email": request.user.email})
    refusals: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            transaction = account_payment_start(user=request.user, debt=debt, email=form.cleaned_data["email"])
        except PaymentRefused as refused:
            refusals = [message for _, message in refused.messages("A")]
        else:
            remember_transaction(request, transaction)
            return redirect(f"{reverse('accounts:debts')}?paiement={transaction.token}#paiement")
    context = {"debt": debt, "status": status, "form": form, "refusals": refusals}
    return render(request, "accounts/debt_pay.html", context, status=409 if refusals else 200)


@login_required
def references(request: HttpRequest) -> HttpResponse:
    form = ReferenceLinkForm(request.POST or None)
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
@require_POST
def reference_remove(request: HttpRequest, pk: int) -> HttpResponse:
    debtor = get_object_or_404(account_references(request.user), pk=pk)
    reference_unlink(debtor=debtor, user=request.user)
    messages.success(request, f"La référence {debtor.reference} n'est plus rattachée à votre compte.")
    return redirect("accounts:references")
