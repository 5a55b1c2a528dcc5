"""TIPI's return notices: stored raw first, then parsed strictly and applied once.

The endpoint's path (`notice_record` then `notice_apply_fresh`) is the hot path: its statements
are written out in `payments.returns.queries`. Replays (`notice_apply`) take the same decisions.
"""

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db import transaction as db_transaction

from debts.services.debts import debt_payment_received
from payments.models import ReturnNotice, TipiClient, Transaction
from payments.returns import queries
from payments.returns.queries import LockedTransaction
from payments.tipi import InvalidUrlRetour, UrlRetour, parse_url_retour

logger = logging.getLogger(__name__)

Outcome = ReturnNotice.Outcome
RESULT_STATES = {"P": Transaction.State.PAID, "R": Transaction.State.REFUSED, "A": Transaction.State.CANCELLED}


@dataclass(frozen=True)
class StoredNotice:
    """A notice as this request stored it."""

    id: int
    body: bytes
    remote_addr: str | None


class NoticeTakenElsewhere(Exception):
    """Another process processed this notice meanwhile: roll back, it is done already."""


def notice_record(
    *, body: bytes, content_type: str, headers: Mapping[str, str], remote_addr: str | None
) -> StoredNotice:
    """Store the raw POST first, committed on its own: nothing TIPI sends is ever lost."""
    remote_addr = remote_addr or None
    notice_id = queries.notice_insert(
        body=body, content_type=content_type[:200], headers=dict(headers), remote_addr=remote_addr
    )
    return StoredNotice(notice_id, body, remote_addr)


def notice_apply_fresh(*, notice: StoredNotice) -> str:
    """Apply a notice this request has just stored; returns its outcome.

    If it fails, the notice stays "received" and `manage.py returns_replay` applies it later.
    """
    try:
        with db_transaction.atomic():
            _relaxed_commit()
            return _process(notice)
    except NoticeTakenElsewhere:
        return ReturnNotice.objects.values_list("outcome", flat=True).get(pk=notice.id)


def notice_apply(*, notice_id: int) -> str:
    """Apply a stored notice not processed yet (replays); a processed one is left as it is."""
    try:
        with db_transaction.atomic():
            stored = ReturnNotice.objects.select_for_update().get(pk=notice_id)
            if stored.outcome != Outcome.RECEIVED:
                return stored.outcome
            return _process(StoredNotice(stored.pk, bytes(stored.body), stored.remote_addr))
    except NoticeTakenElsewhere:
        return ReturnNotice.objects.values_list("outcome", flat=True).get(pk=notice_id)


def _relaxed_commit() -> None:
    """The raw notice is already durable: applying it need not wait for its own disk flush.

    Were the machine to crash before this commit reached the disk, the notice would still be
    "received" and the replay would apply it, exactly once. Halves the flushes of the hot path.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _close(
    notice: StoredNotice,
    outcome: str,
    detail: str = "",
    flags: list[str] | None = None,
    transaction_id: int | None = None,
    resultrans: str = "",
) -> str:
    closed = queries.notice_close(
        notice_id=notice.id,
        outcome=outcome,
        detail=detail,
        flags=flags or [],
        transaction_id=transaction_id,
        resultrans=resultrans,
    )
    if not closed:
        raise NoticeTakenElsewhere(notice.id)
    if outcome not in (Outcome.APPLIED, Outcome.DUPLICATE):
        logger.warning("return notice %s: %s %s", notice.id, outcome, detail)
    return outcome


def _address_allowed(remote_addr: str | None) -> bool:
    allowed = settings.TIPI_RETURN_ALLOWED_IPS
    if not allowed:
        return True
    if not remote_addr:
        return False
    address = ipaddress.ip_address(remote_addr)
    return any(address in ipaddress.ip_network(entry, strict=False) for entry in allowed)


def _close_without_token(notice: StoredNotice, retour: UrlRetour) -> str:
    """A return without OBJET is never applied: NUMCLI, REFDET, MONTANT and MEL are all in the
    URL aller, so whoever started the attempt could forge it (a P, or an X activating a client).
    It is linked to the latest pending attempt it resembles and left to staff. Rare: ORM."""
    candidate_id = (
        Transaction.objects.filter(
            client__numcli=retour.numcli,
            refdet=retour.refdet,
            amount_cents=retour.montant,
            email__iexact=retour.mel,
            state=Transaction.State.PENDING,
        )
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )
    result = retour.resultrans
    if candidate_id is None:
        return _close(
            notice, Outcome.UNMATCHED, "OBJET absent et aucune tentative en attente ne correspond", resultrans=result
        )
    detail = "OBJET absent : non appliqué ; vérifiez ce paiement auprès de la DGFiP avant d'y donner suite"
    return _close(notice, Outcome.REVIEW, detail, ["matched_without_token"], candidate_id, result)


def _mismatches(transaction: LockedTransaction, retour: UrlRetour) -> list[str]:
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


def _process(notice: StoredNotice) -> str:
    """Parse strictly and apply once, inside the caller's database transaction.

    The transaction row is locked: a repeat is a no-op (`duplicate`), a contradiction (R after
    P, another NUMAUTO) is recorded and not applied (`conflict`), a late `P` is applied and
    flagged. Forged or broken notices change nothing; one without OBJET is left to staff.
    """
    if not _address_allowed(notice.remote_addr):
        return _close(notice, Outcome.REFUSED_IP, f"adresse {notice.remote_addr} non autorisée")
    try:
        retour = parse_url_retour(notice.body)
    except InvalidUrlRetour as exc:
        return _close(notice, Outcome.MALFORMED, " ; ".join(exc.problems))
    if not retour.objet:
        return _close_without_token(notice, retour)
    transaction = queries.transaction_lock(retour.objet)
    result = retour.resultrans
    if transaction is None:
        return _close(notice, Outcome.UNMATCHED, "aucune transaction pour ce jeton", resultrans=result)
    problems = _mismatches(transaction, retour)
    if problems:
        return _close(notice, Outcome.UNMATCHED, " ; ".join(problems), resultrans=result)
    return _apply_result(notice, transaction, retour)


def _apply_result(notice: StoredNotice, transaction: LockedTransaction, retour: UrlRetour) -> str:
    """Only ever reached through OBJET (the attempt's unguessable token)."""
    result = retour.resultrans
    current = transaction.resultrans
    flags: list[str] = []

    def close(outcome: str, detail: str = "") -> str:
        return _close(notice, outcome, detail, flags, transaction.id, result)

    if current == result and (result != "P" or transaction.numauto == retour.numauto):
        return close(Outcome.DUPLICATE)
    if current == "P":
        # Money was already taken: nothing may overturn it (R/A after P, another NUMAUTO).
        return close(
            Outcome.CONFLICT, f"{result} (NUMAUTO {retour.numauto or '–'}) après P (NUMAUTO {transaction.numauto})"
        )
    if current and result != "P":
        return close(Outcome.CONFLICT, f"{result} après {current}")
    if result == "P" and transaction.state != Transaction.State.PENDING:
        # A late P (the user gave up, or a refusal came first): money was taken, apply it.
        flags.append(f"late_after_{transaction.state}")
    if result == "P":
        if transaction.debt_id is not None:
            flags += debt_payment_received(debt_id=transaction.debt_id)
        if transaction.saisie == Transaction.Saisie.ACTIVATION:
            _client_activated(transaction.client_id)
    transaction.flags = sorted(set(transaction.flags) | set(flags))
    queries.transaction_settle(
        transaction, state=RESULT_STATES[result], resultrans=result, numauto=retour.numauto, dattrans=retour.dattrans
    )
    return close(Outcome.APPLIED)


def _client_activated(client_id: int) -> None:
    """An activation return (SAISIE=X, P): the client becomes active (annex 11), and its history says why."""
    client = TipiClient.objects.select_for_update().get(pk=client_id)
    if client.state == TipiClient.State.NEW:
        client.state = TipiClient.State.ACTIVE
        client._change_reason = TipiClient.ACTIVATED_REASON
        client.save(update_fields=["state"])
