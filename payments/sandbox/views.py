"""The sandbox's pages: TIPI's anomaly pop-up, the payment page (card, SEPA debit), the ticket."""

import datetime
import uuid

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_exempt

from payments.sandbox.models import SandboxOperation
from payments.sandbox.tipi_side import (
    TEST_IBAN,
    card_result,
    debit_result,
    first_anomaly,
    lower_params,
    operation_settle,
    urlcl_warning,
)


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


class DebitForm(forms.Form):
    operation = forms.UUIDField(widget=forms.HiddenInput)
    iban = forms.CharField(
        label="IBAN du compte à débiter",
        max_length=42,
        error_messages={"required": "Saisissez l'IBAN du compte à débiter."},
    )


@csrf_exempt  # TIPI's page is reached from the portal's pop-up, like the real service
@xframe_options_deny
def paiement(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _means_submitted(request)
    params = lower_params(request.GET)
    anomaly, values = first_anomaly(params)
    if anomaly is not None:
        saisie = params.get("saisie") if params.get("saisie") in ("M", "A", "T", "X") else "M"
        context = {
            "anomaly": anomaly,
            "message": anomaly.message(saisie, **values),
            # Annex 10, R4 for T and X: "un bouton OK ferme la POP-UP"; elsewhere "Fermer la fenêtre".
            "button": "OK" if anomaly.code == "R4" and saisie in ("T", "X") else "Fermer la fenêtre",
        }
        return render(request, "sandbox/anomaly.html", context, status=200)
    operation = SandboxOperation.objects.create(params=params)
    initial = {"operation": operation.pk}
    return render(request, "sandbox/card.html", _page_context(operation, CardForm(initial=initial)))


def _page_context(operation: SandboxOperation, card: CardForm, debit: DebitForm | None = None) -> dict:
    params = operation.params
    return {
        "operation": operation,
        "form": card,
        "debit": debit or DebitForm(initial={"operation": operation.pk}),
        "montant": int(params["montant"]),
        "params": params,
        "test_iban": TEST_IBAN,
        "unknown_code": settings.TIPI_SANDBOX_UNKNOWN_RESULTRANS,
    }


def _open_operation(raw_id: str | None) -> SandboxOperation:
    try:
        return SandboxOperation.objects.get(pk=uuid.UUID(str(raw_id)), resultrans="")
    except (ValueError, SandboxOperation.DoesNotExist):
        raise Http404 from None


def _means_submitted(request: HttpRequest) -> HttpResponse:
    """One of the page's buttons: card, SEPA debit, cancel, or an unknown future means."""
    operation = _open_operation(request.POST.get("operation"))
    if "annuler" in request.POST:
        result = "A"
    elif "autre_moyen" in request.POST:
        result = settings.TIPI_SANDBOX_UNKNOWN_RESULTRANS
    elif "prelever" in request.POST:
        debit = DebitForm(request.POST)
        if not debit.is_valid():
            card = CardForm(initial={"operation": operation.pk})
            return render(request, "sandbox/card.html", _page_context(operation, card, debit))
        result = debit_result(debit.cleaned_data["iban"])
    else:
        card = CardForm(request.POST)
        if not card.is_valid():
            return render(request, "sandbox/card.html", _page_context(operation, card))
        result = card_result(card.cleaned_data["numero"], card.cleaned_data["cryptogramme"], card.expiry(), False)
    operation = operation_settle(operation=operation, resultrans=result)
    context = {
        "operation": operation,
        "montant": int(operation.params["montant"]),
        "urlcl_warning": urlcl_warning(operation),
    }
    return render(request, "sandbox/ticket.html", context)
