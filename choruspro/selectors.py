"""Reads for the Chorus Pro pages and for the rest of the portal (is this debt a public body's?)."""

from django.db.models import Prefetch, Q, QuerySet

from choruspro.models import (
    ChorusAccount,
    ChorusInvoice,
    ChorusSendBatch,
    ChorusSettings,
    ChorusStatusEvent,
    PublicBody,
)
from debts.models import Debt, DebtorReference
from debts.selectors import PUBLIC_BODY_ANNOTATION, debt_debtor_reference, public_body_annotation


def chorus_settings_get() -> ChorusSettings:
    return ChorusSettings.objects.get_or_create(pk=1)[0]


def chorus_account_get(environment: str) -> ChorusAccount:
    return ChorusAccount.objects.get_or_create(environment=environment)[0]


def public_body_of_debt(debt: Debt) -> PublicBody | None:
    debtor = debt_debtor_reference(debt)
    if debtor is None:
        return None
    return PublicBody.objects.filter(debtor=debtor).select_related("debtor").first()


def public_bodies_for_staff() -> QuerySet[PublicBody]:
    return PublicBody.objects.select_related("debtor", "debtor__client", "marked_by").order_by("debtor__reference")


def live_invoices() -> QuerySet[ChorusInvoice]:
    return ChorusInvoice.objects.exclude(state=ChorusInvoice.State.FAILED).exclude(
        chorus_status__in=["REJETEE", "ANNULEE"]
    )


def debts_for_chorus(*, only_public: bool = True, search: str = "", to_reconcile: bool = False) -> QuerySet[Debt]:
    """Debts for the Chorus Pro list, with their debtor's public body and their latest invoice."""
    debts = Debt.objects.select_related("client", "debtor", "debtor__public_body").annotate(**public_body_annotation())
    if only_public:
        debts = debts.filter(**{PUBLIC_BODY_ANNOTATION: True})
    if search:
        debts = debts.filter(
            Q(refdet__icontains=search) | Q(debtor_name__icontains=search) | Q(debtor_ref__iexact=search)
        )
    if to_reconcile:
        debts = debts.filter(
            state=Debt.State.OPEN, chorus_invoices__chorus_status__in=["MISE_EN_PAIEMENT", "COMPTABILISEE"]
        ).distinct()
    latest = ChorusInvoice.objects.order_by("-created_at", "-pk")
    return debts.prefetch_related(Prefetch("chorus_invoices", queryset=latest, to_attr="chorus_list")).order_by(
        "-online_from", "refdet", "pk"
    )


def debt_invoices(debt: Debt) -> QuerySet[ChorusInvoice]:
    events = ChorusStatusEvent.objects.order_by("at", "pk")
    return (
        ChorusInvoice.objects.filter(debt=debt)
        .select_related("created_by", "batch")
        .prefetch_related(Prefetch("events", queryset=events))
        .defer("pdf")
        .order_by("-created_at", "-pk")
    )


def send_batch_get(pk: int) -> ChorusSendBatch:
    return ChorusSendBatch.objects.get(pk=pk)


def send_batch_invoices(batch: ChorusSendBatch) -> QuerySet[ChorusInvoice]:
    return batch.invoices.select_related("debt", "public_body__debtor").defer("pdf").order_by("pk")


def debtor_reference_find(*, client_id: int, reference: str) -> DebtorReference | None:
    return DebtorReference.objects.filter(client_id=client_id, reference=reference.strip()).first()
