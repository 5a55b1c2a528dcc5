"""TIPI console (/gestion/tipi/, administrators only): configure the TIPI clients, build their
test (SAISIE=T) and activation (SAISIE=X) URLs, open them in the pop-up and see TIPI's returns.

Views read the input and call the services (`tipi_client_save`, `tipi_client_attempt_start`);
the pop-up and its live status are the payment pages' own (`_payment_box.html`, `payment.js`).
"""

from urllib.parse import parse_qsl

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from payments.models import ReturnNotice, TipiClient, Transaction
from payments.selectors import transaction_status
from payments.services.tipi_clients import (
    ClientAttemptRefused,
    client_state_choices,
    tipi_client_attempt_start,
    tipi_client_save,
)
from payments.services.transactions import PaymentRefused
from payments.session import transaction_remember, transaction_remembered
from staff.console.forms import AttemptForm, ClientForm
from staff.followup.audit import client_audit_entries
from tipiportal.roles import administrator_required

ATTEMPTS_PER_PAGE = 20
HISTORY_ON_PAGE = 50
ATTEMPT_SAISIES = (Transaction.Saisie.TEST, Transaction.Saisie.ACTIVATION)


def _attempts(client: TipiClient):
    """The client's test and activation attempts, newest first, with their returns."""
    notices = ReturnNotice.objects.order_by("received_at", "pk")
    return (
        Transaction.objects.filter(client=client, saisie__in=ATTEMPT_SAISIES)
        .select_related("user")
        .prefetch_related(Prefetch("notices", queryset=notices))
        .order_by("-created_at", "-pk")
    )


def _notice_fields(notice: ReturnNotice) -> dict[str, str]:
    """What the return itself said (RESULTRANS, NUMAUTO, DATTRANS), read leniently for display:
    a conflicting or malformed return is shown as received."""
    try:
        pairs = parse_qsl(notice.body_text, keep_blank_values=True)
    except ValueError:
        pairs = []
    fields = {name.upper(): value for name, value in pairs}
    dattrans = fields.get("DATTRANS", "")
    if len(dattrans) == 8 and dattrans.isdigit():
        dattrans = f"{dattrans[:2]}/{dattrans[2:4]}/{dattrans[4:]}"
    resultrans = fields.get("RESULTRANS") or fields.get("RESULTTRANS", "")  # annex 6 spells it both ways
    return {"resultrans": resultrans, "numauto": fields.get("NUMAUTO", ""), "dattrans": dattrans}


def _with_notice_fields(transactions):
    for transaction in transactions:
        transaction.notice_rows = [(notice, _notice_fields(notice)) for notice in transaction.notices.all()]
    return transactions


def _activation(client: TipiClient) -> Transaction | None:
    """The paid activation attempt that made the client active, if the portal saw it."""
    return (
        client.transactions.filter(saisie=Transaction.Saisie.ACTIVATION, state=Transaction.State.PAID)
        .order_by("settled_at")
        .first()
    )


# --- Clients ------------------------------------------------------------------------------


@administrator_required
@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/console/client_list.html", {"clients": TipiClient.objects.order_by("numcli")})


def _client_form_page(request: HttpRequest, client: TipiClient | None) -> HttpResponse:
    choices = client_state_choices(client=client)
    if request.method == "POST":
        form = ClientForm(request.POST, state_choices=choices)
    else:
        initial = ClientForm.initial_for(client) if client else {"online_delay_days": 60, "state": "new"}
        form = ClientForm(initial=initial, state_choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            saved = tipi_client_save(user=request.user, client=client, **form.cleaned_data)
        except ValidationError as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, "Client TIPI créé." if client is None else "Client TIPI enregistré.")
            return redirect("console:client-detail", pk=saved.pk)
    status = 400 if form.errors else 200
    return render(request, "staff/console/client_form.html", {"form": form, "client": client}, status=status)


@administrator_required
@require_http_methods(["GET", "POST"])
def client_new(request: HttpRequest) -> HttpResponse:
    return _client_form_page(request, None)


@administrator_required
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _client_form_page(request, get_object_or_404(TipiClient, pk=pk))


# --- Test and activation -------------------------------------------------------------------


@administrator_required
@never_cache
@require_http_methods(["GET", "POST"])
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The client's configuration, the test console, its attempts with their returns, its history."""
    client = get_object_or_404(TipiClient, pk=pk)
    form = AttemptForm(request.POST or None, initial={"email": request.user.email})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transaction = tipi_client_attempt_start(
                client=client,
                saisie=data["saisie"],
                email=data["email"],
                with_return_url=data["with_return_url"],
                user=request.user,
            )
        except ClientAttemptRefused as refused:
            form.add_error("saisie", refused.message)
        except PaymentRefused as refused:
            for anomaly, message in refused.messages(data["saisie"]):
                # Administrators see annex 10's code beside its text (what TIPI's support asks for).
                form.add_error("email" if anomaly.field == "mel" else None, f"{message} (code {anomaly.code})")
        else:
            transaction_remember(request, transaction)
            return redirect("console:attempt-detail", pk=client.pk, public_id=transaction.public_id)
    page = Paginator(_attempts(client), ATTEMPTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "client": client,
        "form": form,
        "page": page,
        "attempts": _with_notice_fields(page.object_list),
        "activation": _activation(client),
        "history": client_audit_entries(client, limit=HISTORY_ON_PAGE),
    }
    return render(request, "staff/console/client_detail.html", context, status=400 if form.errors else 200)


@administrator_required
@never_cache
@require_GET
def attempt_detail(request: HttpRequest, pk: int, public_id: str) -> HttpResponse:
    """One attempt: the URL in full, the pop-up with its live status, TIPI's returns."""
    client = get_object_or_404(TipiClient, pk=pk)
    transaction = get_object_or_404(_attempts(client), public_id=public_id)
    if not transaction_remembered(request, public_id):
        transaction_remember(request, transaction)  # the status endpoint answers this session only
    context = {
        "client": client,
        "transaction": transaction,
        "status": transaction_status(transaction),
        "attempts": _with_notice_fields([transaction]),
    }
    return render(request, "staff/console/attempt_detail.html", context)
