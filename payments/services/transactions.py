"""Start a payment: the controls the portal runs, then the Transaction and its URL aller.

Every state change of a transaction happens here or in payments.returns, inside a database
transaction, with the row locked.
"""

import datetime
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction as db_transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from debts.models import Debt
from debts.services.debts import debt_payment_anomalies
from payments.models import TipiClient, Transaction
from payments.payfip import PayfipFault, PayfipUnavailable
from payments.services import payfip
from payments.services.payfip import client_uses_webservice
from payments.services.payfip_schedule import payfip_first_check_delay
from payments.tipi import Anomaly, InvalidUrlAller, build_url_aller, check_url_aller, normalise_objet

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


PAYFIP_UNAVAILABLE_MESSAGE = (
    "Le service de paiement PayFiP ne répond pas pour le moment : aucun paiement n'a été créé. "
    "Réessayez dans quelques minutes."
)


@dataclass(frozen=True)
class PayfipFaultField:
    """Where a PayFiP refusal is shown: with no field, above the form (the views read `.field`)."""

    code: str
    field: str | None = None


class PayfipRefused(PaymentRefused):
    """PayFiP refused to create the operation (its code and French text), or could not be reached."""

    def __init__(self, message: str, code: str):
        super().__init__([])
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.code

    def messages(self, saisie: str) -> list[tuple[Anomaly, str]]:
        return [(PayfipFaultField(self.code), self.message)]


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

    A client in web-service mode creates a PayFiP operation instead (`_webservice_start`).
    """
    today = today or timezone.localdate()
    owner = {"user": user, "session_public_ids": session_public_ids}
    if client_uses_webservice(client):
        return _webservice_start(
            client=client, refdet=refdet, amount_cents=amount_cents, email=email, saisie=saisie, debt=debt,
            today=today, **owner,
        )  # fmt: skip
    protocol = client.tipi_protocol
    with db_transaction.atomic():
        anomalies, superseded, debt = _controls_locked(
            client=client, saisie=saisie, debt=debt, amount_cents=amount_cents, today=today, **owner
        )
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
        _transaction_save(transaction, superseded=superseded, sent=url_params, url=url)
    # The public id, not the OBJET token: the token stays out of the logs.
    logger.info("transaction started id=%s client=%s saisie=%s", transaction.public_id, client.numcli, saisie)
    return transaction


def _controls_locked(
    *,
    client: TipiClient,
    saisie: str,
    debt: Debt | None,
    amount_cents: int,
    user,
    session_public_ids: Collection[str],
    today: datetime.date,
) -> tuple[list[Anomaly], list[int], Debt | None]:
    """The controls that need the database (inside the caller's atomic block), with the rows
    they read locked: the anomalies, the owner's pending attempts to supersede, the locked debt."""
    anomalies: list[Anomaly] = []
    if saisie in ("M", "A") and client.state != TipiClient.State.ACTIVE:
        anomalies.append(Anomaly("T5", "numcli", client.tipi_protocol))
    superseded: list[int] = []
    if debt is not None:
        # Lock order transactions → debt, as the return path does, so the two never deadlock.
        superseded = _owned_pending_locked(debt=debt, user=user, session_public_ids=session_public_ids)
        debt = Debt.objects.select_for_update().get(pk=debt.pk)
        anomalies += debt_payment_anomalies(debt=debt, amount_cents=amount_cents, today=today)
    return anomalies, superseded, debt


def _transaction_save(transaction: Transaction, *, superseded: list[int], sent: dict[str, str], url: str) -> None:
    if superseded:
        Transaction.objects.filter(pk__in=superseded).update(state=Transaction.State.ABANDONED)
    transaction.refdet = sent["refdet"]
    transaction.amount_cents = int(sent["montant"])
    transaction.email = sent["mel"]
    transaction.params = sent
    transaction.url = url
    transaction.save()


def _webservice_start(
    *,
    client: TipiClient,
    refdet: str,
    amount_cents: int,
    email: str,
    saisie: str,
    debt: Debt | None,
    user,
    session_public_ids: Collection[str],
    today: datetime.date,
) -> Transaction:
    """SAISIE W (a citizen, M or A on the portal) or T/X (the console) for a web-service client.

    The controls run first; PayFiP is then asked for the operation (creerPaiementSecurise)
    outside any lock, since it may take PAYFIP_TIMEOUT seconds; the controls run again, locked,
    and the Transaction is saved with the idOp and what was sent. A PayFiP fault, PayFiP out of
    reach or a control failing the second time raises PaymentRefused and saves nothing (an idOp
    never opened is purged by PayFiP the next night).
    """
    owner = {"user": user, "session_public_ids": session_public_ids}
    sent = {
        "numcli": client.numcli,
        "exer": str((debt.issued_on if debt is not None and debt.issued_on else today).year),
        "refdet": refdet,
        "montant": str(amount_cents),
        "mel": email,
        "objet": normalise_objet((debt.label if debt is not None else "") or client.label),
        "saisie": "W" if saisie in (Transaction.Saisie.MANUAL, Transaction.Saisie.ACCOUNT) else saisie,
        "urlnotif": payfip.notify_url(),
        "urlredirect": payfip.redirect_url(),
    }
    if not sent["objet"]:
        del sent["objet"]
    # The classic controls of the same values (formats, amount bounds, MEL) with their French texts;
    # urlnotif stands for URLCL, which a régie requires; SAISIE M for W, whose values are not imposed.
    shape = {name: sent[name] for name in ("numcli", "refdet", "montant", "mel") if name in sent}
    format_anomalies = check_url_aller({**shape, "urlcl": sent["urlnotif"], "saisie": "M"}, client.tipi_protocol)

    def controls_locked() -> tuple[list[int], Debt | None]:
        locked = _controls_locked(
            client=client, saisie=saisie, debt=debt, amount_cents=amount_cents, today=today, **owner
        )
        anomalies, superseded, locked_debt = locked
        if format_anomalies or anomalies:
            raise PaymentRefused(format_anomalies + anomalies, _message_values(locked_debt, today))
        return superseded, locked_debt

    with db_transaction.atomic():
        controls_locked()  # nothing is written: PayFiP is not kept waiting behind row locks
    idop = _payfip_operation_create(sent)
    with db_transaction.atomic():
        try:
            superseded, debt = controls_locked()  # again: the debt may have been paid meanwhile
        except PaymentRefused:
            logger.warning("PayFiP operation %s left unused: the payment is no longer allowed", idop)
            raise
        transaction = Transaction(
            client=client,
            debt=debt,
            saisie=saisie,
            email=email,
            user=user,
            idop=idop,
            payfip_next_check_at=timezone.now() + payfip_first_check_delay(),
        )
        _transaction_save(transaction, superseded=superseded, sent=sent, url=payfip.payment_page_url(idop))
    logger.info("transaction started id=%s client=%s saisie=%s (PayFiP web service)", transaction.public_id,
                client.numcli, sent["saisie"])  # fmt: skip
    return transaction


def _payfip_operation_create(sent: dict[str, str]) -> str:
    """creerPaiementSecurise; PaymentRefused with PayFiP's own text when it refuses or cannot be reached."""
    try:
        with payfip.payfip_client() as client:  # closes its HTTP session
            return client.create_payment(**{**sent, "montant": int(sent["montant"])})
    except PayfipFault as fault:
        logger.warning("PayFiP refused the operation: %s %s", fault.code, fault.message)
        raise PayfipRefused(
            f"Le service de paiement PayFiP refuse ce paiement : {fault.message.strip()} ({fault.code}).", fault.code
        ) from None
    except PayfipUnavailable:
        logger.exception("PayFiP could not create the operation")
        raise PayfipRefused(PAYFIP_UNAVAILABLE_MESSAGE, "unavailable") from None


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
