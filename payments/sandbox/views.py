"""The sandbox's pages: TIPI's anomaly pop-up, the card page, the payment ticket."""

import datetime
import uuid

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_exempt

from payments.sandbox.models import SandboxOperation
from payments.sandbox.tipi_side import card_result, first_anomaly, lower_params, operation_settle


class CardForm(forms.Form):
    operation = forms.UUIDField(widget=forms.HiddenInput)
    numero = forms.CharField(label="Numéro de carte", max_length=23, required=False)
    expiration = forms.RegexField(
        label="Date de fin de validité (MM/AA)",
        regex=r"^(0[1-9]|1[0-2])/\d{2}$",
        required=False,
        error_messages={"invalid": "Saisissez la date au format MM/AA."},
    )
    cryptogramme = forms.CharField(label="Cryptogramme visuel", max_length=4, required=False)

    def expiry(self) -> datetime.date | None:
        value = self.cleaned_data.get("expiration")
        if not value:
            return None
        month, year = value.split("/")
        # A card is valid until the last day of its month.
        first_next = datetime.date(2000 + int(year) + int(month) // 12, int(month) % 12 + 1, 1)
        return first_next - datetime.timedelta(days=1)


@csrf_exempt  # TIPI's page is reached from the portal's pop-up, like the real service
@xframe_options_deny
def paiement(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _card_submitted(request)
    params = lower_params(request.GET)
    anomaly, values = first_anomaly(params)
    if anomaly is not None:
        saisie = params.get("saisie") if params.get("saisie") in ("M", "A", "T", "X") else "M"
        context = {"anomaly": anomaly, "message": anomaly.message(saisie, **values)}
        return render(request, "sandbox/anomaly.html", context, status=200)
    operation = SandboxOperation.objects.create(params=params)
    return render(request, "sandbox/card.html", _card_context(operation, CardForm(initial={"operation": operation.pk})))


def _card_context(operation: SandboxOperation, form: CardForm) -> dict:
    params = operation.params
    return {"operation": operation, "form": form, "montant": int(params["montant"]), "params": params}


def _open_operation(raw_id: str | None) -> SandboxOperation:
    try:
        return SandboxOperation.objects.get(pk=uuid.UUID(str(raw_id)), resultrans="")
    except (ValueError, SandboxOperation.DoesNotExist):
        raise Http404 from None


def _card_submitted(request: HttpRequest) -> HttpResponse:
    operation = _open_operation(request.POST.get("operation"))
    form = CardForm(request.POST)
    if not form.is_valid():
        return render(request, "sandbox/card.html", _card_context(operation, form))
    result = card_result(
        form.cleaned_data["numero"], form.cleaned_data["cryptogramme"], form.expiry(), "annuler" in request.POST
    )
    operation = operation_settle(operation=operation, resultrans=result)
    return render(request, "sandbox/ticket.html", {"operation": operation, "montant": int(operation.params["montant"])})
