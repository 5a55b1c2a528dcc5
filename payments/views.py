"""Public pages: the manual-entry form, the payment page with its pop-up, the return endpoint."""

import logging
import time

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from payments.forms import ManualPaymentForm
from payments.models import PayfipCheck, PayfipMessage, Transaction
from payments.returns import spool
from payments.returns.notices import notice_apply_fresh, notice_body_limit, notice_record
from payments.returns.payfip_messages import BODY_LIMIT, StoredMessage, payfip_check_request, payfip_message_record
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
    # ?corriger=: the attempt to correct; else, logged in, the e-mail for TIPI's ticket is the
    # account's (the citizen may change it).
    initial = _attempt_to_correct(request, client)
    email = request.user.email if request.user.is_authenticated else ""
    if email and not initial:
        initial = {"email": email, "email_confirm": email}
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


def _attempt_to_correct(request: HttpRequest, client) -> dict[str, str]:
    """?corriger=<public id>: the form filled with one of this session's attempts (after a refusal
    or a cancellation, to correct the reference or the amount); nothing for anyone else's."""
    public_id = request.GET.get("corriger", "")
    if request.method != "GET" or not public_id or not transaction_remembered(request, public_id):
        return {}
    transaction = transaction_for_page(public_id)
    if transaction is None or transaction.client_id != client.pk or transaction.saisie != Transaction.Saisie.MANUAL:
        return {}
    return ManualPaymentForm.initial_for(
        client=client, refdet=transaction.refdet, amount_cents=transaction.amount_cents, email=transaction.email
    )


@never_cache
@require_GET
def transaction_receipt(request: HttpRequest, public_id: str) -> HttpResponse:
    """The printable receipt of a paid attempt, for whoever may follow it: the browser session
    that started it, or the account it was paid from."""
    transaction = transaction_for_page(public_id)
    if transaction is None or transaction.state != Transaction.State.PAID:
        raise Http404
    own_account = request.user.is_authenticated and transaction.user_id == request.user.pk
    if not (own_account or transaction_remembered(request, public_id)):
        raise Http404
    return render(
        request, "payments/receipt.html", {"transaction": transaction, "status": transaction_status(transaction)}
    )


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
        Transaction.State.EXPIRED,
        Transaction.State.PENDING,
    ):
        raise Http404
    try:
        transaction = transaction_retry(transaction=previous)
    except PaymentRefused as refused:
        return render(
            request,
            "payments/refused.html",
            {
                "messages_list": [m for _, m in refused.messages("M")],
                "client": previous.client,
                "correct": previous.public_id,
            },
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


# --- PayFiP web-service mode: urlnotif and urlredirect ---------------------------------------


def _payfip_message(request: HttpRequest, kind: str) -> StoredMessage | None:
    """Store the call raw, then queue a check of its transaction (if its idOp is the portal's).
    Never raises: whatever is sent, PayFiP and the user get their answer."""
    try:
        stored = payfip_message_record(
            kind=kind,
            method=request.method or "",
            body=request.read(BODY_LIMIT) if request.method == "POST" else b"",
            query_string=request.META.get("QUERY_STRING", ""),
            content_type=request.content_type or "",
            headers={
                **{name: request.headers[name] for name in RETURN_HEADERS if name in request.headers},
                "REMOTE_ADDR": request.META.get("REMOTE_ADDR", ""),
            },
            remote_addr=client_ip(request),
        )
    except Exception:
        # Nothing is lost for good: the poller asks PayFiP about every transaction on its schedule.
        logger.exception("PayFiP %s could not be stored", kind)
        return None
    if stored is not None and stored.transaction_id is not None:
        try:
            payfip_check_request(transaction_id=stored.transaction_id, trigger=kind, message_id=stored.id)
        except Exception:
            logger.exception("PayFiP %s %s: the check could not be queued (the poller will ask)", kind, stored.id)
    return stored


@csrf_exempt
def payfip_notify(request: HttpRequest) -> HttpResponse:
    """urlnotif: PayFiP's server-to-server POST, carrying the idOp only. 200 for every POST.

    It only triggers a check (a task asks PayFiP): the notification itself proves nothing.
    """
    if request.method != "POST":
        return HttpResponse("Méthode non autorisée", status=405, headers={"Allow": "POST"})
    _payfip_message(request, PayfipMessage.Kind.NOTIFICATION)
    return HttpResponse("OK", content_type="text/plain")


@csrf_exempt  # PayFiP's "Retour site" may be a cross-site form POST
@never_cache
def payfip_redirect(request: HttpRequest) -> HttpResponse:
    """urlredirect: the user back from PayFiP's ticket (?idop=, GET or POST). Queues a check,
    then shows the attempt's own page (live status) if this browser started it."""
    if request.method not in ("GET", "POST"):
        return HttpResponse("Méthode non autorisée", status=405, headers={"Allow": "GET, POST"})
    stored = _payfip_message(request, PayfipCheck.Trigger.REDIRECT)
    transaction = None
    if stored is not None and stored.transaction_id is not None:
        transaction = Transaction.objects.filter(pk=stored.transaction_id).only("public_id", "saisie", "client").first()
    if transaction is not None and transaction_remembered(request, transaction.public_id):
        return redirect(_attempt_page(transaction))
    return render(request, "payments/payfip_back.html")


def _attempt_page(transaction: Transaction) -> str:
    """Where the attempt's status is shown: the payment page, the account's list, the console."""
    if transaction.saisie == Transaction.Saisie.ACCOUNT:
        return f"{reverse('accounts:debts')}?paiement={transaction.public_id}#paiement"
    if transaction.saisie in (Transaction.Saisie.TEST, Transaction.Saisie.ACTIVATION):
        return reverse("console:attempt-detail", args=[transaction.client_id, transaction.public_id])
    return reverse("payments:transaction", args=[transaction.public_id])
