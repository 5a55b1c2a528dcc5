"""Reads on TIPI clients and transactions."""

from payments.models import TipiClient, Transaction
from payments.tipi import Means


def clients_for_manual_payment():
    return TipiClient.objects.exclude(state=TipiClient.State.INACTIVE).order_by("label")


def transaction_for_page(public_id: str) -> Transaction | None:
    """The attempt a payment page shows, by its public id (the caller checks it is the session's)."""
    return Transaction.objects.select_related("client", "debt").filter(public_id=public_id).first()


def transaction_status(transaction: Transaction) -> dict[str, str | bool]:
    """What the payment page shows (and polls) about an attempt, in French."""
    state = transaction.state
    if transaction.means is Means.DEBIT and state in DEBIT_MESSAGES:
        message = DEBIT_MESSAGES[Transaction.State(state)]
    else:
        message = MESSAGES[Transaction.State(state)]
    return {
        "state": state,
        "means": transaction.means.value,
        "message": message,
        "final": state != Transaction.State.PENDING,
        "retry": state in (Transaction.State.REFUSED, Transaction.State.CANCELLED),
    }


# What the payment page says of an attempt (by card, or before any result).
MESSAGES = {
    Transaction.State.PENDING: "En attente du résultat de votre paiement sur la page TIPI…",
    Transaction.State.PAID: "Paiement CB par Internet en cours de validation",
    Transaction.State.REFUSED: "Votre paiement a été refusé : aucune somme n'a été prélevée. Vous pouvez réessayer.",
    Transaction.State.CANCELLED: "Vous avez annulé le paiement : aucune somme n'a été prélevée. Vous pouvez réessayer.",
    Transaction.State.ABANDONED: "Cette tentative a été remplacée par une nouvelle.",
}
# The same, when PayFiP's result says the user chose the single SEPA debit (V, Z).
DEBIT_MESSAGES = {
    Transaction.State.PAID: "Paiement par prélèvement en cours de validation",
    Transaction.State.REFUSED: "Prélèvement refusé : aucune somme ne sera prélevée. Vous pouvez réessayer.",
}
