"""The money side: start a transaction (URL aller), record and apply TIPI's return notices.

Every state change of a transaction happens here, inside a database transaction, with the
row locked. A return notice is stored raw (committed on its own) before it is parsed.
"""

import datetime
import logging
import re
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.urls import reverse
from django.utils import timezone

from debts.models import Debt
from debts.services import debt_payment_anomalies
from payments.models import ClientEvent, ClientProtocol, ReturnNotice, TipiClient, Transaction
from payments.tipi import Anomaly, InvalidUrlAller, build_url_aller
from payments.tipi import test_url_params

logger = logging.getLogger(__name__)


class PaymentRefused(Exception):
    """The portal's own controls refuse the payment before anything leaves for TIPI."""

    def __init__(self, anomalies: list[Anomaly], values: Mapping[str, object] | None = None):
        super().__init__(", ".join(a.code for a in anomalies))
        self.anomalies = anomalies
        self.values = dict(values or {})  # fill the texts' blanks: R6's DATTRANS, R11's date

    def messages(self, saisie: str) -> list[tuple[Anomaly, str]]:
        return [(anomaly, anomaly.message(saisie, **self.values)) for anomaly in self.anomalies]


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
    today: datetime.date | None = None,
) -> Transaction:
    """Create the Transaction and its URL aller, after every control the portal can run.

    `params` replaces the computed URL parameters (test and activation URLs use the imposed
    values of annex 6). Raises PaymentRefused with TIPI's anomalies otherwise. A new attempt
    on a debt marks the earlier pending ones as abandoned (a late `P` on them still counts).
    """
    today = today or timezone.localdate()
    protocol = client.tipi_protocol
    with db_transaction.atomic():
        anomalies: list[Anomaly] = []
        if saisie in ("M", "A") and client.state != TipiClient.State.ACTIVE:
            anomalies.append(Anomaly("T5", "numcli", protocol))
        if debt is not None:
            # Lock order transactions → debt, as the return path does, so the two never deadlock.
            list(Transaction.objects.select_for_update().filter(debt_id=debt.pk, state=Transaction.State.PENDING))
            debt = Debt.objects.select_for_update().get(pk=debt.pk)
            anomalies += debt_payment_anomalies(debt=debt, amount_cents=amount_cents, today=today)
        transaction = Transaction(client=client, debt=debt, saisie=saisie, email=email, user=user)
        url_params = dict(params) if params is not None else {
            "numcli": client.numcli,
            "refdet": refdet,
            "objet": transaction.token,
            "montant": str(amount_cents),
            "mel": email,
            "urlcl": return_url(),
            "saisie": saisie,
        }
        url_params.setdefault("objet", transaction.token)
        try:
            url = build_url_aller(settings.TIPI_BASE_URL, url_params, protocol)
        except InvalidUrlAller as exc:
            anomalies += exc.anomalies
        if anomalies:
            raise PaymentRefused(anomalies, _message_values(debt, today))
        if debt is not None:
            Transaction.objects.filter(debt=debt, state=Transaction.State.PENDING).update(
                state=Transaction.State.ABANDONED
            )
        transaction.refdet = url_params["refdet"]
        transaction.amount_cents = int(url_params["montant"])
        transaction.email = url_params["mel"]
        transaction.params = url_params
        transaction.url = url
        transaction.save()
    logger.info("transaction started token=%s client=%s saisie=%s", transaction.token[:6], client.numcli, saisie)
    return transaction


def _message_values(debt: Debt | None, today: datetime.date) -> dict[str, object]:
    if debt is None:
        return {}
    paid = debt.transactions.filter(state=Transaction.State.PAID, dattrans__isnull=False).order_by("-dattrans").first()
    return {"dattrans": paid.dattrans if paid else today, "date": debt.online_from}


def manual_payment_start(*, client: TipiClient, refdet: str, amount_cents: int, email: str) -> Transaction:
    """SAISIE=M: the citizen typed the reference. A debt we hold is checked here (M4, R6, R7);
    one we do not hold goes to TIPI, which decides, unless the client accepts only known debts."""
    debt = Debt.objects.filter(client=client, refdet=refdet).first()
    if debt is None and client.accept_only_known_debts:
        raise PaymentRefused([Anomaly("R4", "refdet", client.tipi_protocol)])
    return transaction_start(
        client=client, refdet=refdet, amount_cents=amount_cents, email=email, saisie="M", debt=debt
    )


def account_payment_start(*, user, debt: Debt, email: str) -> Transaction:
    """SAISIE=A: a logged-in citizen pays one of their debts (the caller checked ownership)."""
    return transaction_start(
        client=debt.client, refdet=debt.refdet, amount_cents=debt.amount_cents, email=email, saisie="A",
        debt=debt, user=user,
    )  # fmt: skip


def transaction_retry(*, transaction: Transaction) -> Transaction:
    """A new attempt with the same reference, amount and e-mail (after R, A or a closed pop-up)."""
    return transaction_start(
        client=transaction.client,
        refdet=transaction.refdet,
        amount_cents=transaction.amount_cents,
        email=transaction.email,
        saisie=transaction.saisie,
        debt=transaction.debt,
    )


# --- Personal data -------------------------------------------------------------------------

ERASED_EMAIL = "effacee@invalid"


def personal_data_purge(*, older_than_days: int) -> tuple[int, int]:
    """Erase e-mail addresses kept longer than the retention period (transactions, notices).

    The money trail stays (reference, amount, result, authorisation number, dates); only the
    payer's address goes. A notice's raw body keeps every field but MEL.
    """
    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    transactions = 0
    for transaction in Transaction.objects.filter(created_at__lt=cutoff).exclude(email=ERASED_EMAIL).iterator():
        transaction.email = ERASED_EMAIL
        transaction.params = {**transaction.params, "mel": ERASED_EMAIL}
        transaction.save(update_fields=["email", "params"])
        transactions += 1
    notices = 0
    for notice in ReturnNotice.objects.filter(received_at__lt=cutoff, mel_erased=False).iterator():
        notice.body = _without_mel(bytes(notice.body))
        notice.mel_erased = True
        notice.save(update_fields=["body", "mel_erased"])
        notices += 1
    return transactions, notices


def _without_mel(body: bytes) -> bytes:
    pairs = [pair for pair in body.split(b"&") if not pair.lower().startswith(b"mel=")]
    return b"&".join(pairs)


# --- TIPI clients: configuration, test and activation URLs (annexes 6 and 11) ---------------

_NUMCLI_RE = re.compile(r"^\d{6}$")
_CODE_RECETTE_RE = re.compile(r"^[A-Za-z0-9]{2}$")
ONLINE_DELAY_MIN, ONLINE_DELAY_MAX = 10, 360

#: The states an administrator may set by hand, from each state. `new` → `active` is not
#: among them: a client becomes active when TIPI's return to its activation URL (X) says `P`.
CLIENT_STATE_CHANGES: dict[str, frozenset[str]] = {
    TipiClient.State.NEW: frozenset({TipiClient.State.INACTIVE}),
    TipiClient.State.ACTIVE: frozenset({TipiClient.State.INACTIVE}),
    TipiClient.State.INACTIVE: frozenset({TipiClient.State.NEW, TipiClient.State.ACTIVE}),
}
#: The states a client may be created in.
CLIENT_CREATION_STATES = frozenset({TipiClient.State.NEW, TipiClient.State.INACTIVE})
_CLIENT_FIELDS = ("numcli", "protocol", "label", "online_delay_days", "code_recette", "accept_only_known_debts", "state")


def client_state_choices(*, client: TipiClient | None) -> list[str]:
    """The states the console offers for a client: the creation states, or its own and those
    it may move to by hand."""
    if client is None:
        return [state for state in TipiClient.State.values if state in CLIENT_CREATION_STATES]
    allowed = CLIENT_STATE_CHANGES[TipiClient.State(client.state)] | {client.state}
    return [state for state in TipiClient.State.values if state in allowed]


def _client_errors(
    *, client: TipiClient | None, numcli: str, protocol: str, label: str, online_delay_days: int | None,
    code_recette: str, state: str,
) -> dict[str, list[str]]:  # fmt: skip
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not _NUMCLI_RE.fullmatch(numcli):
        error("numcli", "Le numéro client TIPI comporte exactement 6 chiffres.")
    elif TipiClient.objects.filter(numcli=numcli).exclude(pk=getattr(client, "pk", None)).exists():
        error("numcli", f"Un autre client TIPI porte déjà le numéro {numcli}.")
    if protocol not in ClientProtocol.values:
        error("protocol", "Choisissez le protocole du client : INDIGO, PES V2 Recette ou ROLMRE.")
    if not label:
        error("label", "Indiquez le libellé du client (le service, tel que les usagers le connaissent).")
    elif len(label) > 120:
        error("label", "Le libellé comporte 120 caractères au plus.")
    if online_delay_days is None or not ONLINE_DELAY_MIN <= online_delay_days <= ONLINE_DELAY_MAX:
        error("online_delay_days", "Le délai de mise en ligne est compris entre 10 et 360 jours.")
    if protocol == ClientProtocol.ROLMRE:
        if not _CODE_RECETTE_RE.fullmatch(code_recette):
            error(
                "code_recette",
                "Pour un client ROLMRE, le code recette (ROLREC) comporte 2 lettres ou chiffres, sans accent.",
            )
    elif code_recette:
        error("code_recette", "Le code recette ne concerne que les clients ROLMRE : laissez-le vide.")
    if state not in TipiClient.State.values:
        error("state", "Choisissez l'état du client.")
    elif client is None and state not in CLIENT_CREATION_STATES:
        error(
            "state",
            "Un client est créé « Nouveau » (ou « Inactif ») : il devient actif au retour de son URL "
            "d'activation (SAISIE=X).",
        )
    elif client is not None and state != client.state and state not in CLIENT_STATE_CHANGES[client.state]:
        if state == TipiClient.State.ACTIVE:  # from new
            message = (
                "Un client « Nouveau » devient actif au retour de son URL d'activation (SAISIE=X), "
                "pas à la main : lancez l'activation depuis la console de test."
            )
        else:  # active → new
            message = "Un client déjà activé par TIPI ne redevient pas « Nouveau »."
        error("state", message)
    if client is not None and (numcli != client.numcli or protocol != client.protocol):
        used = client.transactions.exists() or Debt.objects.filter(client=client).exists()
        if used:
            error(
                "numcli" if numcli != client.numcli else "protocol",
                "Ce client a déjà des dettes ou des paiements : son numéro et son protocole ne peuvent plus "
                "changer. Créez un autre client.",
            )
    return errors


def _client_display(client: TipiClient, field: str) -> str:
    value = getattr(client, field)
    if field in ("protocol", "state"):
        return getattr(client, f"get_{field}_display")()
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    return str(value)


def tipi_client_save(
    *,
    user,
    client: TipiClient | None = None,
    numcli: str,
    protocol: str,
    label: str,
    online_delay_days: int | None,
    code_recette: str = "",
    accept_only_known_debts: bool = False,
    state: str = TipiClient.State.NEW,
) -> TipiClient:
    """Create a TIPI client (`client=None`) or change one, and record who changed what.

    Raises ValidationError mapping each field to its French messages: NUMCLI of 6 digits and
    unique, online delay of 10 to 360 days, the code recette (2 alphanumerics) for ROLMRE
    only, a state an administrator may set by hand (CLIENT_STATE_CHANGES; activation comes
    from the X return), NUMCLI and protocol frozen once the client has debts or payments.
    The client row is locked, so a concurrent activation return is never overwritten.
    """
    numcli, label, code_recette = numcli.strip(), " ".join(label.split()), code_recette.strip()
    with db_transaction.atomic():
        before = TipiClient.objects.select_for_update().get(pk=client.pk) if client is not None else None
        errors = _client_errors(
            client=before, numcli=numcli, protocol=protocol, label=label, online_delay_days=online_delay_days,
            code_recette=code_recette, state=state,
        )  # fmt: skip
        if errors:
            raise ValidationError(errors)
        values = {
            "numcli": numcli, "protocol": protocol, "label": label, "online_delay_days": online_delay_days,
            "code_recette": code_recette, "accept_only_known_debts": bool(accept_only_known_debts), "state": state,
        }  # fmt: skip
        saved = before if before is not None else TipiClient()
        changes = []
        for field in _CLIENT_FIELDS:
            if before is not None and getattr(before, field) == values[field]:
                continue
            shown_before = _client_display(before, field) if before is not None else ""
            setattr(saved, field, values[field])
            changes.append({
                "field": field,
                "label": str(TipiClient._meta.get_field(field).verbose_name),
                "before": shown_before,
                "after": _client_display(saved, field),
            })  # fmt: skip
        if before is not None and not changes:
            return before
        try:
            with db_transaction.atomic():
                if before is None:
                    saved.save(force_insert=True)
                else:
                    saved.save(update_fields=[change["field"] for change in changes])
        except IntegrityError:  # the same NUMCLI saved meanwhile by another administrator
            raise ValidationError({"numcli": [f"Un autre client TIPI porte déjà le numéro {numcli}."]}) from None
        action = ClientEvent.Action.CREATED if before is None else ClientEvent.Action.CHANGED
        ClientEvent.objects.create(client=saved, user=user, action=action, changes=changes)
    logger.info("tipi client %s %s by %s", saved.numcli, action, getattr(user, "pk", None))
    return saved


class ClientAttemptRefused(Exception):
    """The portal refuses to build a test or activation URL for this client (before TIPI)."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


def tipi_client_attempt_start(
    *, client: TipiClient, saisie: str, email: str, with_return_url: bool, user
) -> Transaction:
    """A test (`saisie="T"`, any time) or activation (`"X"`, only while the client is new) URL.

    The imposed values of annex 6 (EXER 9999, the protocol's test REFDET, MONTANT 111111),
    the tester's e-mail, URLCL when asked (without it TIPI sends no return, so the portal
    never learns the outcome), the token in OBJET. The X check runs on the locked client row,
    before anything is built: an active client gets TIPI's own T4 guidance ("use T to test").
    Raises ClientAttemptRefused, or PaymentRefused for the portal's URL controls (MEL...).
    The administrator is kept as the transaction's user.
    """
    if saisie not in (Transaction.Saisie.TEST, Transaction.Saisie.ACTIVATION):
        raise ValueError(f"saisie: 'T' or 'X' expected, got {saisie!r}")
    with db_transaction.atomic():
        locked = TipiClient.objects.select_for_update().get(pk=client.pk)
        if saisie == Transaction.Saisie.ACTIVATION:
            if locked.state == TipiClient.State.ACTIVE:
                raise ClientAttemptRefused(Anomaly("T4", "saisie", locked.tipi_protocol).message("X"), code="T4")
            if locked.state == TipiClient.State.INACTIVE:
                raise ClientAttemptRefused(
                    "Ce client est « Inactif » sur le portail : repassez-le à « Nouveau » avant de lancer son "
                    "URL d'activation.",
                    code="inactive",
                )
        params = test_url_params(
            locked.tipi_protocol, locked.numcli, email.strip(), saisie, urlcl=return_url() if with_return_url else None
        )
        transaction = transaction_start(
            client=locked, refdet=params["refdet"], amount_cents=int(params["montant"]), email=params["mel"],
            saisie=saisie, params=params, user=user,
        )  # fmt: skip
    logger.info("tipi client %s: %s URL built by %s", locked.numcli, saisie, getattr(user, "pk", None))
    return transaction
