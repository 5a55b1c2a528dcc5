"""Public pages: the manual-entry form, the payment page with its pop-up, the return endpoint."""

import logging
import time

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from payments.forms import ManualPaymentForm
from payments.models import Transaction
from payments.returns import spool
from payments.returns.notices import notice_apply_fresh, notice_body_limit, notice_record
from payments.returns.replay import replay_nudge
from payments.selectors import clients_for_manual_payment, transaction_for_page, transaction_status
from payments.services.transactions import PaymentRefused, manual_payment_start, transaction_retry
from payments.session import transaction_public_ids, transaction_remember, transaction_remembered
from tipiportal.logging import request_id
from tipiportal.network import TOO_MANY, client_ip, too_many_posts

logger = logging.getLogger(__name__)

ANOMALY_FIELDS = {"montant": "montant", "mel": "email"}
RETURN_HEADERS = ("User-Agent", "Content-Length", "X-Forwarded-For", "X-Real-Ip", "Host", "Referer")


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/home.html", {"clients": clients_for_manual_payment()})


def manual_choose_client(request: HttpRequest) -> HttpResponse:
    clients = list(clients_for_manual_payment())
    if len(clients) == 1:
        return redirect("payments:manual", numcli=clients[0].numcli)
    return render(request, "payments/manual_choose.html", {"clients": clients})


def manual_payment(request: HttpRequest, numcli: str) -> HttpResponse:
    client = get_object_or_404(clients_for_manual_payment(), numcli=numcli)
    # Logged in, the e-mail for TIPI's ticket is the account's (the citizen may change it).
    email = request.user.email if request.user.is_authenticated else ""
    initial = {"email": email, "email_confirm": email} if email else None
    form = ManualPaymentForm(request.POST if request.method == "POST" else None, client=client, initial=initial)
    if request.method == "POST" and too_many_posts(request, "manual-form", settings.RATE_LIMIT_MANUAL_FORM):
        form.is_valid()  # bind the input so the page shows it back
        form.add_error(None, TOO_MANY)
        return render(request, "payments/manual_form.html", {"form": form, "client": client}, status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transaction = manual_payment_start(
                client=client,
                refdet=data["refdet"],
                amount_cents=data["montant"],
                email=data["email"],
                session_public_ids=transaction_public_ids(request),
            )
        except PaymentRefused as refused:
            for anomaly, message in refused.messages("M"):
                field = ANOMALY_FIELDS.get(anomaly.field, form.reference_field if anomaly.field == "refdet" else None)
                form.add_error(field, message)
        else:
            transaction_remember(request, transaction)
            return redirect("payments:transaction", public_id=transaction.public_id)
    return render(request, "payments/manual_form.html", {"form": form, "client": client})


def _own_transaction(request: HttpRequest, public_id: str) -> Transaction:
    """An attempt of this session, by its public id (never the OBJET token: URLs end up in logs)."""
    if not transaction_remembered(request, public_id):
        raise Http404
    transaction = transaction_for_page(public_id)
    if transaction is None:
        raise Http404
    return transaction


@never_cache
def transaction_page(request: HttpRequest, public_id: str) -> HttpResponse:
    transaction = _own_transaction(request, public_id)
    return render(
        request,
        "payments/transaction.html",
        {"transaction": transaction, "status": transaction_status(transaction)},
    )


@never_cache
@require_GET
def transaction_status_json(request: HttpRequest, public_id: str) -> JsonResponse:
    return JsonResponse(transaction_status(_own_transaction(request, public_id)))


@require_POST
def transaction_retry_view(request: HttpRequest, public_id: str) -> HttpResponse:
    previous = _own_transaction(request, public_id)
    if previous.saisie != Transaction.Saisie.MANUAL or previous.state not in (
        Transaction.State.REFUSED,
        Transaction.State.CANCELLED,
        Transaction.State.PENDING,
    ):
        raise Http404
    try:
        transaction = transaction_retry(transaction=previous)
    except PaymentRefused as refused:
        return render(
            request,
            "payments/refused.html",
            {"messages_list": [m for _, m in refused.messages("M")], "client": previous.client},
            status=409,
        )
    transaction_remember(request, transaction)
    return redirect("payments:transaction", public_id=transaction.public_id)


@csrf_exempt
def tipi_return(request: HttpRequest) -> HttpResponse:
    """URLCL: TIPI's server-to-server POST. Answers 200 for every POST, never a 500.

    The raw notice is stored first, committed on its own; parsing and applying come after, so
    a malformed or forged notice is kept too, with its outcome, within what a stranger may make
    us keep (`notice_body_limit`, and a budget per address in `notice_record`). If the database
    cannot store it, the notice goes to the local spool (fsync'd) and `returns_replay` stores it later.
    """
    if request.method != "POST":
        return HttpResponse("Méthode non autorisée", status=405, headers={"Allow": "POST"})
    received_at = time.time()
    try:
        remote_addr = client_ip(request)
        body = request.read(notice_body_limit(remote_addr=remote_addr))
        content_type = request.content_type or ""
        headers = {
            **{name: request.headers[name] for name in RETURN_HEADERS if name in request.headers},
            "REMOTE_ADDR": request.META.get("REMOTE_ADDR", ""),
            # The id of this request in the logs; also tells the spool replay whether an INSERT
            # that failed had in fact committed.
            spool.REQUEST_ID_HEADER: request_id.get(),
        }
    except Exception:
        logger.exception("return notice could not be read")
        return HttpResponse("OK", content_type="text/plain")
    try:
        notice = notice_record(body=body, content_type=content_type, headers=headers, remote_addr=remote_addr)
    except Exception as exc:  # noqa: BLE001 - the database cannot take it: the local spool does
        try:
            spool_id = spool.spool_append(
                body=body,
                content_type=content_type,
                headers=headers,
                remote_addr=remote_addr,
                received_at=received_at,
                error=f"{type(exc).__name__}: {exc}",
            )
        except Exception:
            logger.critical("return notice LOST: neither the database nor the spool could keep it", exc_info=True)
        else:
            logger.error("return notice not stored in the database, spooled as %s", spool_id, exc_info=True)
        return HttpResponse("OK", content_type="text/plain")
    try:
        if notice is not None:  # None: a stranger's refused or malformed notice past its budget, counted only
            notice_apply_fresh(notice=notice)
    except Exception:
        logger.exception("return notice %s could not be applied", notice.id)
    if spool.STATE.replay_wanted:  # this process spooled notices and the database is back
        replay_nudge()
    return HttpResponse("OK", content_type="text/plain")
