"""The citizen's account (SAISIE=A): linked references, the debt list, pay one debt."""

from html import escape

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import PayConfirmForm, ReferenceLinkForm
from accounts.selectors import (
    DebtStatus,
    account_debt_get,
    account_debt_list,
    account_references,
    account_transaction_find,
    debt_status,
)
from debts.models import Debt
from debts.services.references import ReferenceLinkRefused, reference_link, reference_unlink
from payments.selectors import transaction_status
from payments.services.transactions import PaymentRefused, account_payment_start
from payments.session import transaction_remember
from payments.templatetags.money import euros
from tipiportal.network import TOO_MANY, too_many_posts

# One row of the debt list (templates/accounts/debt_list.html puts them in its <tbody>). A family
# account lists hundreds of debts: through the template engine (ten variables, two date filters
# and a {% url %} per row) 500 rows took 50 to 100 ms, as one format string per row about 5 ms
# (bench/account_page.py); the HTML is the same, byte for byte. static/js/account.js and the
# tests rely on data-debt-id, .debt-status, status-<code> and the "Payer" link hidden when unpayable.
DEBT_ROW_HTML = """
    <tr data-debt-id="{pk}">
      <td>{refdet}<br><span class="hint">{client}</span></td>
      <td>{label}</td>
      <td>{issued_on}</td>
      <td>{online_until}</td>
      <td>{amount}</td>
      <td class="debt-status status-{code}">{status}</td>
      <td class="debt-action"><a class="button" href="{pay_url}"{hidden}>Payer<span class="visually-hidden"> \
la facture {refdet}</span></a></td>
    </tr>"""
_PK_PLACEHOLDER = "987654321"


def debt_rows_html(rows: list[tuple[Debt, DebtStatus]]) -> SafeString:
    """The <tr> of each (debt, status). Every text is escaped here with html.escape, which is
    what Django's escape runs (format_html's lazy-aware wrappers alone would triple the cost)."""
    pay_url = reverse("accounts:debt-pay", args=[int(_PK_PLACEHOLDER)])  # reversed once, not per row
    return mark_safe(
        "".join(
            DEBT_ROW_HTML.format(
                pk=debt.pk,
                refdet=escape(debt.refdet),
                client=escape(debt.client.label),
                label=escape(debt.label or "–"),
                issued_on=f"{debt.issued_on:%d/%m/%Y}" if debt.issued_on else "–",
                online_until=f"{debt.online_until:%d/%m/%Y}",
                amount=escape(euros(debt.amount_cents)),
                code=escape(status.code),
                status=escape(status.label),
                pay_url=escape(pay_url.replace(_PK_PLACEHOLDER, str(debt.pk))),
                hidden="" if status.payable else " hidden",
            )
            for debt, status in rows
        )
    )


@login_required
@never_cache
def debt_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [(debt, debt_status(debt, today)) for debt in account_debt_list(request.user)]
    payment = None
    # Another account's (or a made-up) token shows no payment panel, and nothing of it.
    if transaction := account_transaction_find(request.user, request.GET.get("paiement", "")):
        payment = {"transaction": transaction, "status": transaction_status(transaction)}
    context = {
        "rows_html": debt_rows_html(rows),
        "payment": payment,
        # A listed debt comes from a linked reference: ask only when there is none.
        "has_references": bool(rows) or account_references(request.user).exists(),
    }
    return render(request, "accounts/debt_list.html", context)


@login_required
@never_cache
@require_GET
def debt_states(request: HttpRequest) -> JsonResponse:
    """Polled by the list: each debt's status, so the page updates without a reload."""
    today = timezone.localdate()
    states = {}
    for debt in account_debt_list(request.user):
        status = debt_status(debt, today)
        states[str(debt.pk)] = {"code": status.code, "label": status.label, "payable": status.payable}
    return JsonResponse({"debts": states})


@login_required
def debt_pay(request: HttpRequest, pk: int) -> HttpResponse:
    debt = account_debt_get(request.user, pk)
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
            return redirect(f"{reverse('accounts:debts')}?paiement={transaction.token}#paiement")
    context = {"debt": debt, "status": status, "form": form, "refusals": refusals}
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
@require_POST
def reference_remove(request: HttpRequest, pk: int) -> HttpResponse:
    debtor = get_object_or_404(account_references(request.user), pk=pk)
    reference_unlink(debtor=debtor, user=request.user)
    messages.success(request, f"La référence {debtor.reference} n'est plus rattachée à votre compte.")
    return redirect("accounts:references")
