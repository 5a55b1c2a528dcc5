"""Start a payment: the controls the portal runs, then the Transaction and its URL aller.

Every state change of a transaction happens here or in payments.returns, inside a database
transaction, with the row locked.
"""

import datetime
import logging
from collections.abc import Collection, Mapping

from django.conf import settings
from django.db import transaction as db_transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from debts.models import Debt
from debts.services.debts import debt_payment_anomalies
from payments.models import TipiClient, Transaction
from payments.tipi import Anomaly, InvalidUrlAller, build_url_aller

logger = logging.getLogger(__name__)


class PaymentRefused(Exception):
    """The portal's own controls refuse the payment before anything leaves for TIPI."""

    def __init__(self, anomalies: list[Anomaly], values: Mapping[str, object] | None = None):
        super().__init__(", ".join(a.code for a in anomalies))
        self.anomalies = anomalies
        self.values = dict(values or {})  # fill the texts' blanks: R6's DATTRANS, R11's date

    def messages(self, saisie: str) -> list[tuple[Anomaly, str]]:
        """The texts for the portal's pages (Anomaly.portal_message: never a button of TIPI's window)."""
        return [(anomaly, anomaly.portal_message(saisie, **self.values)) for anomaly in self.anomalies]


def return_url() -> str:
    """URLCL: where TIPI POSTs the retour (public address of this portal)."""
    return settings.PORTAL_PUBLIC_URL + reverse("payments:tipi-return")


def transaction_start(
    *,
    client: TipiClient,
    refdet: str,
    amount_cents: int,
    email: str,
    saisie: str,
    debt: Debt | None = None,
    params: Mapping[str, str] | None = None,
    user=None,
    session_public_ids: Collection[str] = (),
    today: datetime.date | None = None,
) -> Transaction:
    """Create the Transaction and its URL aller, after every control the portal can run.

    `params` replaces the computed URL parameters (test and activation URLs use the imposed
    values of annex 6). Raises PaymentRefused with TIPI's anomalies otherwise.

    A new attempt on a debt marks as abandoned the earlier pending ones of its own owner only:
    `user`'s, and those `session_public_ids` names (the attempts the caller's browser session
    started, payments.session). Anyone else's stays live: both may go to TIPI, whose first `P`
    moves the debt on (R6 for any attempt after it); a `P` on the other is still applied, flagged.
    """
    today = today or timezone.localdate()
    protocol = client.tipi_protocol
    with db_transaction.atomic():
        anomalies: list[Anomaly] = []
        if saisie in ("M", "A") and client.state != TipiClient.State.ACTIVE:
            anomalies.append(Anomaly("T5", "numcli", protocol))
        superseded: list[int] = []
        if debt is not None:
            # Lock order transactions → debt, as the return path does, so the two never deadlock.
            superseded = _owned_pending_locked(debt=debt, user=user, session_public_ids=session_public_ids)
            debt = Debt.objects.select_for_update().get(pk=debt.pk)
            anomalies += debt_payment_anomalies(debt=debt, amount_cents=amount_cents, today=today)
        transaction = Transaction(client=client, debt=debt, saisie=saisie, email=email, user=user)
        url_params = (
            dict(params)
            if params is not None
            else {
                "numcli": client.numcli,
                "refdet": refdet,
                "objet": transaction.token,
                "montant": str(amount_cents),
                "mel": email,
                "urlcl": return_url(),
                "saisie": saisie,
            }
        )
        url_params.setdefault("objet", transaction.token)
        try:
            url = build_url_aller(settings.TIPI_BASE_URL, url_params, protocol)
        except InvalidUrlAller as exc:
            anomalies += exc.anomalies
        if anomalies:
            raise PaymentRefused(anomalies, _message_values(debt, today))
        if superseded:
            Transaction.objects.filter(pk__in=superseded).update(state=Transaction.State.ABANDONED)
        transaction.refdet = url_params["refdet"]
        transaction.amount_cents = int(url_params["montant"])
        transaction.email = url_params["mel"]
        transaction.params = url_params
        transaction.url = url
        transaction.save()
    # The public id, not the OBJET token: the token stays out of the logs.
    logger.info("transaction started id=%s client=%s saisie=%s", transaction.public_id, client.numcli, saisie)
    return transaction


def _owned_pending_locked(*, debt: Debt, user, session_public_ids: Collection[str]) -> list[int]:
    """SELECT … FOR UPDATE the debt's pending attempts this owner may supersede; their ids."""
    owned = Q(public_id__in=list(session_public_ids))
    if user is not None:
        owned |= Q(user=user)
    pending = Transaction.objects.filter(owned, debt_id=debt.pk, state=Transaction.State.PENDING)
    return list(pending.select_for_update().values_list("pk", flat=True))


def _message_values(debt: Debt | None, today: datetime.date) -> dict[str, object]:
    if debt is None:
        return {}
    paid = debt.transactions.filter(state=Transaction.State.PAID, dattrans__isnull=False).order_by("-dattrans").first()
    return {"dattrans": paid.dattrans if paid else today, "date": debt.online_from}


def manual_payment_start(
    *, client: TipiClient, refdet: str, amount_cents: int, email: str, session_public_ids: Collection[str] = ()
) -> Transaction:
    """SAISIE=M: the citizen typed the reference. A debt we hold is checked here (M4, R6, R7);
    one we do not hold goes to TIPI, which decides, unless the client accepts only known debts.
    `session_public_ids`: the attempts of the payer's browser session, the only ones it supersedes."""
    debt = Debt.objects.filter(client=client, refdet=refdet).first()
    if debt is None and client.accept_only_known_debts:
        raise PaymentRefused([Anomaly("R4", "refdet", client.tipi_protocol)])
    return transaction_start(
        client=client,
        refdet=refdet,
        amount_cents=amount_cents,
        email=email,
        saisie="M",
        debt=debt,
        session_public_ids=session_public_ids,
    )


def account_payment_start(*, user, debt: Debt, email: str) -> Transaction:
    """SAISIE=A: a logged-in citizen pays one of their debts (the caller checked ownership); it
    supersedes their own pending attempts, never another user's of the same family account."""
    return transaction_start(
        client=debt.client,
        refdet=debt.refdet,
        amount_cents=debt.amount_cents,
        email=email,
        saisie="A",
        debt=debt,
        user=user,
    )


def transaction_retry(*, transaction: Transaction) -> Transaction:
    """A new attempt with the same reference, amount and e-mail (after R, A or a closed pop-up).

    The caller checked that `transaction` is the payer's own: the new one supersedes it, and
    keeps its owner."""
    return transaction_start(
        client=transaction.client,
        refdet=transaction.refdet,
        amount_cents=transaction.amount_cents,
        email=transaction.email,
        saisie=transaction.saisie,
        debt=transaction.debt,
        user=transaction.user,
        session_public_ids=[transaction.public_id],
    )
