"""Reads on TIPI clients and transactions."""

import datetime

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from payments.models import PayfipCheck, TipiClient, Transaction
from payments.tipi import RESULTRANS_VALUES, Means

#: The payment page's state for an attempt TIPI never answered (still pending in the database).
GIVEN_UP = "given_up"


def clients_for_manual_payment():
    return TipiClient.objects.exclude(state=TipiClient.State.INACTIVE).order_by("label")


def transaction_for_page(public_id: str) -> Transaction | None:
    """The attempt a payment page shows, by its public id (the caller checks it is the session's)."""
    return Transaction.objects.select_related("client", "debt").filter(public_id=public_id).first()


def transaction_given_up(transaction: Transaction, *, now: datetime.datetime | None = None) -> bool:
    """A pending attempt TIPI has not answered for PAYMENT_GIVE_UP_MINUTES: the payment page stops
    waiting for it. Its row stays pending: a late P is still applied when TIPI sends it."""
    if transaction.state != Transaction.State.PENDING or transaction.created_at is None:
        return False
    limit = datetime.timedelta(minutes=settings.PAYMENT_GIVE_UP_MINUTES)
    return (now or timezone.now()) - transaction.created_at >= limit


def transaction_status(transaction: Transaction, *, now: datetime.datetime | None = None) -> dict[str, str | bool]:
    """What the payment page shows (and polls) about an attempt, in French."""
    state = transaction.state
    if transaction_given_up(transaction, now=now):
        return {
            "state": GIVEN_UP,
            "message": "TIPI n'a donné aucune réponse pour ce paiement : la page a cessé de l'attendre. Si vous "
            "avez payé, TIPI vous a envoyé un ticket par courriel et le paiement sera pris en compte ; "
            "sinon, aucune somme n'a été prélevée et vous pouvez recommencer.",
            "final": True,
            "retry": True,
        }
    if transaction.means is Means.DEBIT and state in DEBIT_MESSAGES:
        message = DEBIT_MESSAGES[Transaction.State(state)]
    else:
        message = MESSAGES[Transaction.State(state)]
    return {
        "state": state,
        "means": transaction.means.value,
        "message": message,
        "final": state != Transaction.State.PENDING,
        "retry": state in (Transaction.State.REFUSED, Transaction.State.CANCELLED, Transaction.State.EXPIRED),
    }


# What the payment page says of an attempt (by card, or before any result).
MESSAGES = {
    Transaction.State.PENDING: "En attente du résultat de votre paiement sur la page TIPI…",
    Transaction.State.PAID: "Paiement CB par Internet en cours de validation",
    Transaction.State.REFUSED: "Votre paiement a été refusé : aucune somme n'a été prélevée. Vous pouvez réessayer.",
    Transaction.State.CANCELLED: "Vous avez annulé le paiement : aucune somme n'a été prélevée. Vous pouvez réessayer.",
    Transaction.State.ABANDONED: "Cette tentative a été remplacée par une nouvelle.",
    Transaction.State.EXPIRED: "La page de paiement n'a pas été ouverte à temps : aucune somme n'a été prélevée. Vous pouvez réessayer.",
}
# The same, when PayFiP's result says the user chose the single SEPA debit (V, Z).
DEBIT_MESSAGES = {
    Transaction.State.PAID: "Paiement par prélèvement en cours de validation",
    Transaction.State.REFUSED: "Prélèvement refusé : aucune somme ne sera prélevée. Vous pouvez réessayer.",
}


def payfip_transactions_awaiting():
    """Web-service transactions without a known result yet (the poller still asks PayFiP, or
    gave up), newest first; `last_checks` holds the last check of each (a list of 0 or 1)."""
    return (
        Transaction.objects.filter(idop__isnull=False)
        .exclude(resultrans__in=RESULTRANS_VALUES)
        .select_related("client", "debt")
        .prefetch_related(Prefetch("payfip_checks", queryset=_checks()[:1], to_attr="last_checks"))
        .order_by("-created_at")
    )


def payfip_checks_recent():
    """The journal of PayFiP checks, newest first."""
    return _checks().select_related("transaction", "transaction__client", "user")


def _checks():
    return PayfipCheck.objects.order_by("-at", "-pk")
