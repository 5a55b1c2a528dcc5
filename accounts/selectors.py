"""What a citizen sees of their debts: only those of the references linked to their account."""

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from debts.models import Debt, DebtorReference
from debts.selectors import debt_is_public_body, public_body_annotation
from payments.models import TipiClient, Transaction
from payments.tipi import Means, refdet_as_printed, resultrans_means


@dataclass(frozen=True)
class DebtStatus:
    code: str  # payable, in_progress, paid, public_body, expired, not_yet, card_limit, unavailable
    label: str
    payable: bool


IN_PROGRESS_LABELS = {
    Means.CARD: "Paiement CB par Internet en cours de validation",
    Means.DEBIT: "Paiement par prélèvement en cours de validation",
}
_PAID_RESULTRANS = "paid_resultrans"


def paid_resultrans_annotation() -> dict:
    """For a Debt queryset: the RESULTRANS of its latest paid transaction (P or V), so that
    debt_status names the means without a query per row."""
    paid = Transaction.objects.filter(debt=OuterRef("pk"), state=Transaction.State.PAID)
    return {_PAID_RESULTRANS: Subquery(paid.order_by("-settled_at", "-pk").values("resultrans")[:1])}


def _in_progress_label(debt: Debt) -> str:
    if hasattr(debt, _PAID_RESULTRANS):
        resultrans = getattr(debt, _PAID_RESULTRANS) or ""
    else:
        paid = debt.transactions.filter(state=Transaction.State.PAID).order_by("-settled_at", "-pk")
        resultrans = paid.values_list("resultrans", flat=True).first() or ""
    # A debt in progress without a paid transaction (undone reconciliation of an old one): the card's words.
    return IN_PROGRESS_LABELS.get(resultrans_means(resultrans), IN_PROGRESS_LABELS[Means.CARD])


def debt_status(debt: Debt, today: datetime.date) -> DebtStatus:
    """The status column of annex 3's list, in TIPI's words (PayFiP's for a debit)."""
    if debt.state == Debt.State.IN_PROGRESS:
        return DebtStatus("in_progress", _in_progress_label(debt), False)
    if debt.state == Debt.State.PAID:
        return DebtStatus("paid", "Payée", False)
    if debt_is_public_body(debt):
        return DebtStatus(
            "public_body",
            "Facture adressée à un organisme public par Chorus Pro : elle ne se paie pas par carte",
            False,
        )
    if debt.is_expired(today):
        return DebtStatus(
            "expired",
            "Le délai pour payer cette dette sur Internet est expiré, vous devez la régler directement auprès "
            "de la Trésorerie indiquée sur votre avis des sommes à payer",
            False,
        )
    if debt.is_not_yet_online(today):
        return DebtStatus("not_yet", f"Payable en ligne à partir du {debt.online_from:%d/%m/%Y}", False)
    if debt.card_block_code == "M2":
        return DebtStatus("card_limit", "Montant de 1 500 € ou plus : à régler auprès de la Trésorerie", False)
    if debt.card_block_code == "M3":
        return DebtStatus("card_limit", "Montant inférieur à 1 € : à régler auprès de la Trésorerie", False)
    if debt.client.state != TipiClient.State.ACTIVE:
        return DebtStatus("unavailable", "Paiement en ligne momentanément indisponible", False)
    return DebtStatus("payable", "À payer", True)


# Annex 3's "reste dû": nothing once TIPI accepted the card payment ("en cours de validation") or
# the debt is paid; the whole amount otherwise, expired debts included (owed at the Trésorerie).
SETTLED_STATES = (Debt.State.PAID, Debt.State.IN_PROGRESS)


def debt_outstanding_cents(debt: Debt) -> int:
    return 0 if debt.state in SETTLED_STATES else debt.amount_cents


def debt_reference_as_printed(debt: Debt) -> str:
    """The reference as on the citizen's bill (year, title, order; the water bill's number; a
    régie's invoice number)."""
    return debt.invoice_reference or refdet_as_printed(debt.client.tipi_protocol, debt.refdet)


@dataclass(frozen=True)
class AccountTotals:
    """Annex 3's summary: billed, paid (settled), outstanding, over every debt of the account."""

    billed_cents: int
    paid_cents: int

    @property
    def outstanding_cents(self) -> int:
        return self.billed_cents - self.paid_cents


def account_totals(user) -> AccountTotals:
    """One query, whatever the number of debts."""
    totals = (
        account_debts(user)
        .order_by()
        .aggregate(
            billed=Coalesce(Sum("amount_cents"), 0),
            paid=Coalesce(Sum("amount_cents", filter=Q(state__in=SETTLED_STATES)), 0),
        )
    )
    return AccountTotals(billed_cents=totals["billed"], paid_cents=totals["paid"])


def account_references(user) -> QuerySet[DebtorReference]:
    return (
        DebtorReference.objects.filter(links__user=user).select_related("client").order_by("client__label", "reference")
    )


def reference_debt_count(debtor: DebtorReference) -> int:
    """The debts the account shows for this reference (what "Retirer" would hide)."""
    return debtor.debts.exclude(state=Debt.State.CANCELLED).count()


def account_debts(user) -> QuerySet[Debt]:
    """Debts of every reference linked to the account; cancelled ones are not shown."""
    return (
        Debt.objects.filter(debtor__links__user=user)
        .exclude(state=Debt.State.CANCELLED)
        .select_related("client", "debtor")
        .order_by("-online_from", "refdet")
    )


# What the list and debt_status read of a debt and its client: not the raw record, the address
# or the REFDET parts, which a family's hundreds of rows would fetch and decode for nothing.
DEBT_LIST_FIELDS = (
    "id",
    "refdet",
    "invoice_reference",
    "label",
    "issued_on",
    "due_on",
    "online_from",
    "online_until",
    "amount_cents",
    "state",
    "client",
    "client__label",
    "client__state",
    "client__protocol",
)


def account_debt_list(user) -> QuerySet[Debt]:
    """account_debts for the list and its polled states: only the columns they show (one query).
    The id last breaks ties (one REFDET in two clients, same day), so that pages neither repeat nor skip a debt."""
    return (
        account_debts(user)
        .select_related(None)
        .select_related("client")
        .only(*DEBT_LIST_FIELDS)
        .annotate(**public_body_annotation(), **paid_resultrans_annotation())
        .order_by("-online_from", "refdet", "pk")
    )


def account_debt_get(user, pk: int) -> Debt | None:
    """A debt of this account, or None (the view answers 404: guessing another id shows nothing)."""
    return account_debts(user).filter(pk=pk).first()


def account_transaction_find(user, public_id: str) -> Transaction | None:
    """The account's payment named by ?paiement= (its public id, never its OBJET token)."""
    if not public_id:
        return None
    return (
        Transaction.objects.select_related("client", "debt")
        .filter(public_id=public_id, user=user, saisie=Transaction.Saisie.ACCOUNT)
        .first()
    )
