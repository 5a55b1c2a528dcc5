"""The money side: start a transaction (URL aller), record and apply TIPI's return notices.

Every state change of a transaction happens here, inside a database transaction, with the
row locked. A return notice is stored raw (committed on its own) before it is parsed.
"""

import datetime
import ipaddress
import logging
from collections.abc import Mapping

from django.conf import settings
from django.db import transaction as db_transaction
from django.urls import reverse
from django.utils import timezone

from debts.models import Debt
from debts.services import debt_payment_anomalies, debt_payment_received
from payments.models import ReturnNotice, TipiClient, Transaction
from payments.tipi import Anomaly, InvalidUrlAller, InvalidUrlRetour, UrlRetour, build_url_aller, parse_url_retour

logger = logging.getLogger(__name__)

RESULT_STATES = {
    "P": Transaction.State.PAID,
    "R": Transaction.State.REFUSED,
    "A": Transaction.State.CANCELLED,
}


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


# --- Returns ------------------------------------------------------------------------


def notice_record(
    *, body: bytes, content_type: str, headers: Mapping[str, str], remote_addr: str | None
) -> ReturnNotice:
    """Store the raw POST first, committed on its own: nothing TIPI sends is ever lost."""
    return ReturnNotice.objects.create(
        body=body, content_type=content_type[:200], headers=dict(headers), remote_addr=remote_addr or None
    )


def _address_allowed(remote_addr: str | None) -> bool:
    allowed = settings.TIPI_RETURN_ALLOWED_IPS
    if not allowed:
        return True
    if not remote_addr:
        return False
    address = ipaddress.ip_address(remote_addr)
    return any(address in ipaddress.ip_network(entry, strict=False) for entry in allowed)


def _close(notice: ReturnNotice, outcome: str, detail: str = "", flags: list[str] | None = None) -> ReturnNotice:
    notice.outcome = outcome
    notice.detail = detail
    notice.flags = flags or []
    notice.processed_at = timezone.now()
    notice.save(update_fields=["outcome", "detail", "flags", "transaction", "resultrans", "processed_at"])
    log = logger.warning if outcome not in ("applied", "duplicate") else logger.info
    log("return notice %s: %s %s", notice.pk, outcome, detail)
    return notice


def _find_transaction(retour: UrlRetour) -> tuple[Transaction | None, list[str]]:
    # The transaction row is locked; its debt comes in the same query (unlocked: the debt's
    # own service locks it when it changes it), which saves a query on every applied `P`.
    locked = Transaction.objects.select_related("debt").select_for_update(of=("self",))
    if retour.objet:
        return locked.filter(token=retour.objet).first(), []
    # A real return without OBJET (a hand-built URL, an old integration): fall back on the
    # latest pending attempt with the same echoed fields, and flag it for staff.
    candidate = (
        locked.filter(
            client__numcli=retour.numcli,
            refdet=retour.refdet,
            amount_cents=retour.montant,
            email__iexact=retour.mel,
            state=Transaction.State.PENDING,
        )
        .order_by("-created_at")
        .first()
    )
    return candidate, ["matched_without_token"]


def _mismatches(transaction: Transaction, retour: UrlRetour) -> list[str]:
    sent = transaction.params
    problems = []
    if retour.numcli != sent.get("numcli"):
        problems.append(f"NUMCLI {retour.numcli} ≠ {sent.get('numcli')}")
    if retour.refdet != sent.get("refdet"):
        problems.append(f"REFDET {retour.refdet} ≠ {sent.get('refdet')}")
    if str(retour.montant) != str(int(sent.get("montant", "-1"))):
        problems.append(f"MONTANT {retour.montant} ≠ {sent.get('montant')}")
    if retour.mel.lower() != str(sent.get("mel", "")).lower():
        problems.append("MEL différent de celui envoyé")
    if retour.saisie != sent.get("saisie"):
        problems.append(f"SAISIE {retour.saisie} ≠ {sent.get('saisie')}")
    return problems


def notice_apply(*, notice_id: int | None = None, notice: ReturnNotice | None = None) -> ReturnNotice:
    """Parse a stored notice strictly and apply it to its transaction, once.

    One database transaction with the rows locked: a repeat is a no-op (`duplicate`), a
    contradiction (R after P, another NUMAUTO) is recorded and not applied (`conflict`), a
    late `P` is applied and flagged. Forged or broken notices change nothing.

    Give `notice_id` for a stored notice (a replay), or `notice`, the instance notice_record
    just returned (the endpoint): its row is locked and its outcome checked, but its body is
    not read back.
    """
    with db_transaction.atomic():
        if notice is None:
            notice = ReturnNotice.objects.select_for_update().get(pk=notice_id)
        else:
            locked = ReturnNotice.objects.select_for_update().filter(pk=notice.pk)
            if locked.values_list("outcome", flat=True).get() != ReturnNotice.Outcome.RECEIVED:
                return ReturnNotice.objects.get(pk=notice.pk)  # processed meanwhile (a replay)
        if notice.outcome != ReturnNotice.Outcome.RECEIVED:
            return notice  # already processed (a replay)
        if not _address_allowed(notice.remote_addr):
            return _close(notice, ReturnNotice.Outcome.REFUSED_IP, f"adresse {notice.remote_addr} non autorisée")
        try:
            retour = parse_url_retour(bytes(notice.body))
        except InvalidUrlRetour as exc:
            return _close(notice, ReturnNotice.Outcome.MALFORMED, " ; ".join(exc.problems))
        notice.resultrans = retour.resultrans
        transaction, flags = _find_transaction(retour)
        if transaction is None:
            return _close(notice, ReturnNotice.Outcome.UNMATCHED, "aucune transaction pour ce jeton", flags)
        problems = _mismatches(transaction, retour)
        if problems:
            return _close(notice, ReturnNotice.Outcome.UNMATCHED, " ; ".join(problems), flags)
        notice.transaction = transaction
        return _apply_result(notice, transaction, retour, flags)


def _apply_result(notice: ReturnNotice, transaction: Transaction, retour: UrlRetour, flags: list[str]) -> ReturnNotice:
    result = retour.resultrans
    current = transaction.resultrans
    if current == result and (result != "P" or transaction.numauto == retour.numauto):
        return _close(notice, ReturnNotice.Outcome.DUPLICATE, "", flags)
    if current == "P":
        # Money was already taken: nothing may overturn it (R/A after P, another NUMAUTO).
        detail = f"{result} (NUMAUTO {retour.numauto or '–'}) après P (NUMAUTO {transaction.numauto})"
        return _close(notice, ReturnNotice.Outcome.CONFLICT, detail, flags)
    if current and result != "P":
        return _close(notice, ReturnNotice.Outcome.CONFLICT, f"{result} après {current}", flags)
    if result == "P" and transaction.state != Transaction.State.PENDING:
        # A late P (the user gave up, or a refusal came first): money was taken, apply it.
        flags = flags + [f"late_after_{transaction.state}"]
    transaction.state = RESULT_STATES[result]
    transaction.resultrans = result
    transaction.numauto = retour.numauto
    transaction.dattrans = retour.dattrans
    transaction.settled_at = timezone.now()
    if result == "P":
        if transaction.debt_id is not None:
            flags += debt_payment_received(debt=transaction.debt)
        if transaction.saisie == Transaction.Saisie.ACTIVATION:
            _client_activated(transaction.client)
    transaction.flags = sorted(set(transaction.flags) | set(flags))
    transaction.save(update_fields=["state", "resultrans", "numauto", "dattrans", "settled_at", "flags"])
    return _close(notice, ReturnNotice.Outcome.APPLIED, "", flags)


def _client_activated(client: TipiClient) -> None:
    client = TipiClient.objects.select_for_update().get(pk=client.pk)
    if client.state == TipiClient.State.NEW:
        client.state = TipiClient.State.ACTIVE
        client.save(update_fields=["state"])


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
