"""Debts (/gestion/dettes/): list, detail, cancel / mark paid with a reason, citizens linked to the reference.

Every view requires an agent; they call services and selectors only. Cancelling and marking
paid also take the permission the services check (debts.services.debts.STATE_CHANGE_PERMISSION).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from debts.models import Debt, DebtorReference
from debts.selectors import (
    debt_debtor_reference,
    debt_with_debtor,
    debts_for_staff,
    debts_for_staff_detail,
    user_by_email,
)
from debts.services.debts import (
    DebtActionRefused,
    debt_cancel,
    debt_create,
    debt_mark_paid,
    debt_state_change_allowed,
    debt_state_change_check,
)
from debts.services.references import reference_link_by_staff, reference_unlink
from staff.debts.forms import DebtActionForm, DebtFilterForm, RegieDebtForm
from tipiportal.roles import agent_required

DEBTS_PER_PAGE = 50


@agent_required
@require_GET
def debt_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = DebtFilterForm(request.GET or None)
    debts = debts_for_staff(today=today, **form.filters()) if form.is_bound else debts_for_staff(today=today)
    page = Paginator(debts, DEBTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "today": today,
        "query": query.urlencode(),
        "can_create": debt_state_change_allowed(user=request.user)
        and RegieDebtForm.base_fields["client"].queryset.exists(),
    }
    return render(request, "staff/debts/debt_list.html", context)


@agent_required
@require_http_methods(["GET", "POST"])
def debt_new(request: HttpRequest) -> HttpResponse:
    """A régie invoice typed by hand (the service checks the permission and the rules)."""
    debt_state_change_check(user=request.user)
    form = RegieDebtForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            debt = debt_create(user=request.user, **form.cleaned_data)
        except ValidationError as refused:
            for field, field_messages in refused.message_dict.items():
                form.add_error(field if field in form.fields else None, field_messages)
        else:
            messages.success(request, f"Facture {debt.invoice_reference} enregistrée : elle est payable en ligne.")
            return redirect("staff:debt-detail", pk=debt.pk)
    return render(request, "staff/debts/debt_new.html", {"form": form}, status=400 if form.errors else 200)


@agent_required
@require_GET
def debt_detail(request: HttpRequest, pk: int) -> HttpResponse:
    debt = get_object_or_404(debts_for_staff_detail(), pk=pk)
    return render(
        request,
        "staff/debts/debt_detail.html",
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
    # The service refuses a POST anyway; this spares the form to whom may not send it (403).
    debt_state_change_check(user=request.user)
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
        "staff/debts/debt_action.html",
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


def _debt_and_debtor(pk: int) -> tuple[Debt, DebtorReference]:
    found = debt_with_debtor(pk)
    if found is None:
        raise Http404
    return found


@agent_required
@require_POST
def reference_link_view(request: HttpRequest, pk: int) -> HttpResponse:
    debt, debtor = _debt_and_debtor(pk)
    user = user_by_email(request.POST.get("email", ""))
    if user is None:
        messages.error(
            request, "Aucun compte usager n'a cette adresse électronique : l'usager doit d'abord créer son compte."
        )
    else:
        reference_link_by_staff(debtor=debtor, user=user, staff=request.user)
        messages.success(request, f"Le compte {user.email} est rattaché à la référence {debtor.reference}.")
    return redirect("staff:debt-detail", pk=debt.pk)


@agent_required
@require_POST
def reference_unlink_view(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    debt, debtor = _debt_and_debtor(pk)
    link = get_object_or_404(debtor.links.select_related("user"), pk=link_pk)
    reference_unlink(debtor=debtor, user=link.user)
    messages.success(request, f"Le compte {link.user.email} n'est plus rattaché à la référence {debtor.reference}.")
    return redirect("staff:debt-detail", pk=debt.pk)
