"""The sandbox's PayFiP payment page (/tpa/paiementws.web?idop=), its ticket and "Retour site"."""

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_exempt

from payments.sandbox.models import PayfipOperation
from payments.sandbox.payfip_side import (
    OperationClosed,
    payfip_operation_open,
    payfip_operation_settle,
    payment_page_refusal,
)
from payments.sandbox.tipi_side import card_result
from payments.sandbox.views import CardForm

# A test IBAN (a valid check sum, no real account): its debit goes through; any other is refused.
TEST_IBAN = "FR7630006000011234567890189"


class PayfipPaymentForm(CardForm):
    operation = None  # the idOp is in the URL
    iban = forms.CharField(label="IBAN du compte à débiter", max_length=42, required=False)


def _debit_result(iban: str) -> str:
    return "V" if iban.replace(" ", "").upper() == TEST_IBAN else "Z"


def _result_without_form(request: HttpRequest) -> str | None:
    """Cancelling, or the future means, whatever was typed in the card or debit fields."""
    if "annuler" in request.POST:
        return "A"
    if "futur" in request.POST:
        return settings.PAYFIP_SANDBOX_FUTURE_CODE
    return None


def _result_of(request: HttpRequest, form: PayfipPaymentForm) -> str:
    if "prelevement" in request.POST:
        return _debit_result(form.cleaned_data["iban"])
    return card_result(form.cleaned_data["numero"], form.cleaned_data["cryptogramme"], form.expiry(), False)


def redirect_url(operation: PayfipOperation) -> str:
    """urlredirect with ``idop=`` added, as PayFiP's "Retour site" link."""
    urlredirect = operation.params.get("urlredirect", "")
    return urlredirect + ("&" if "?" in urlredirect else "?") + urlencode({"idop": operation.idop})


def _page(request: HttpRequest, operation: PayfipOperation, form: PayfipPaymentForm) -> HttpResponse:
    context = {
        "operation": operation,
        "params": operation.params,
        "montant": int(operation.params["montant"]),
        "form": form,
        "test_iban": TEST_IBAN,
    }
    return render(request, "sandbox/payfip_payment.html", context)


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "sandbox/payfip_error.html", {"message": message}, status=200)


@csrf_exempt  # PayFiP's page, reached from the portal's pop-up like the real service
@xframe_options_deny
def paiementws(request: HttpRequest) -> HttpResponse:
    idop = request.GET.get("idop", "")
    if request.method != "POST":
        operation, refusal = payfip_operation_open(idop=idop)
        if refusal:
            return _refused(request, refusal)
        return _page(request, operation, PayfipPaymentForm())
    operation = PayfipOperation.objects.filter(idop=idop, opened_at__isnull=False).first()
    if operation is None or operation.resultrans:
        return _refused(request, payment_page_refusal(operation, timezone.now()) or "")
    resultrans = _result_without_form(request)
    if resultrans is None:
        form = PayfipPaymentForm(request.POST)
        if not form.is_valid():
            return _page(request, operation, form)
        resultrans = _result_of(request, form)
    try:
        operation = payfip_operation_settle(idop=idop, resultrans=resultrans)
    except OperationClosed:
        return _refused(request, "Cette opération de paiement a déjà été utilisée.")
    context = {"operation": operation, "montant": int(operation.params["montant"]), "retour": redirect_url(operation)}
    return render(request, "sandbox/payfip_ticket.html", context)
