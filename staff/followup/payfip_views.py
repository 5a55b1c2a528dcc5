"""PayFiP's web-service mode for staff (/gestion/suivi/payfip/): the transactions awaiting their
result, each with its last check, the journal of checks, and "vérifier maintenant"."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from payments.models import PayfipCheck, Transaction
from payments.selectors import payfip_checks_recent, payfip_transactions_awaiting
from payments.services.payfip_checks import payfip_transaction_check
from tipiportal.roles import agent_required

PER_PAGE = 50
AWAITING_SHOWN = 200  # the poller gives up after 4 days: the list stays short


@agent_required
@require_GET
def payfip_followup(request: HttpRequest) -> HttpResponse:
    awaiting = payfip_transactions_awaiting()
    checks = Paginator(payfip_checks_recent(), PER_PAGE).get_page(request.GET.get("page"))
    context = {"awaiting": awaiting[:AWAITING_SHOWN], "awaiting_count": awaiting.count(), "page": checks}
    return render(request, "staff/followup/payfip.html", context)


@agent_required
@require_POST
def payfip_check_now(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask PayFiP at once (in this request: the agent waits for the answer, PAYFIP_TIMEOUT at most)."""
    if not Transaction.objects.filter(pk=pk, idop__isnull=False).exists():
        raise Http404
    check = payfip_transaction_check(transaction_id=pk, trigger=PayfipCheck.Trigger.STAFF, user=request.user)
    level = (
        messages.SUCCESS
        if check.outcome in (PayfipCheck.Outcome.APPLIED, PayfipCheck.Outcome.DUPLICATE)
        else messages.WARNING
    )
    messages.add_message(
        request, level, f"Vérification auprès de PayFiP : {check.get_outcome_display()}. {check.detail}".strip()
    )
    if request.POST.get("next") == "detail":
        return redirect("followup:transaction-detail", pk=pk)
    return redirect("followup:payfip")
