"""TIPI's return notices: stored raw first, then parsed strictly and applied once.

The endpoint's path (`notice_record` then `notice_apply_fresh`) is the hot path: its statements
are written out in `payments.returns.queries`. Replays (`notice_apply`) take the same decisions.
"""

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.db import transaction as db_transaction

from payments.models import ReturnNotice, Transaction
from payments.returns import queries
from payments.services.results import SOURCE_CLASSIC_RETURN, transaction_result_apply
from payments.services.transaction_rows import LockedTransaction, transaction_lock
from payments.tipi import InvalidUrlRetour, UrlRetour, parse_url_retour
from tipiportal.network import rate_limit_consume

logger = logging.getLogger(__name__)

Outcome = ReturnNotice.Outcome

# What is read of a POST's body. From TIPI's addresses, as much as ever: TIPI is never limited.
TIPI_BODY_LIMIT = 64 * 1024
# From anyone else, one byte past this: a TIPI return is ten short fields, under 1 KB even
# with every value at its longest and percent-encoded; a longer body cannot be one.
RETURN_BODY_LIMIT = 2048
# The per-address budget of refused and malformed notices counts an IPv6 /64 as one address:
# it is one subscriber's, and rotating addresses inside it must not buy more storage.
_IPV6_BUDGET_PREFIX = 64
_BUDGET_SCOPE = "tipi-return-junk"


@dataclass(frozen=True)
class Triage:
    """What can be decided about a notice before any database work: refused or malformed
    (`outcome`, `detail`), else the parsed return."""

    outcome: str = ""
    detail: str = ""
    retour: UrlRetour | None = None


@dataclass(frozen=True)
class StoredNotice:
    """A notice as this request stored it (with its triage when the budget needed it)."""

    id: int
    body: bytes
    remote_addr: str | None
    triage: Triage | None = None


class NoticeTakenElsewhere(Exception):
    """Another process processed this notice meanwhile: roll back, it is done already."""


def notice_body_limit(*, remote_addr: str | None) -> int:
    """How many bytes of a POST's body the endpoint reads (and may keep) from this address."""
    return TIPI_BODY_LIMIT if _from_tipi(remote_addr or None) else RETURN_BODY_LIMIT + 1


def notice_record(
    *, body: bytes, content_type: str, headers: Mapping[str, str], remote_addr: str | None
) -> StoredNotice | None:
    """Store the raw POST first, committed on its own: nothing TIPI might have sent is lost.

    A notice from an address not known as TIPI's that can only be refused or malformed counts
    against that address's budget (RETURNS_JUNK_BUDGET); past it the notice is only counted,
    not stored, and None is returned. TIPI's addresses skip all of this: no added statement.
    """
    remote_addr = remote_addr or None
    triage = None
    if not _from_tipi(remote_addr):
        triage = _triage(body, remote_addr)
        if triage.outcome and not _within_budget(remote_addr):
            return None
    notice_id = queries.notice_insert(
        body=body, content_type=content_type[:200], headers=dict(headers), remote_addr=remote_addr
    )
    return StoredNotice(notice_id, body, remote_addr, triage)


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


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address_allowed(remote_addr: str | None) -> bool:
    allowed = settings.TIPI_RETURN_ALLOWED_IPS
    if not allowed:
        return True
    if not remote_addr:
        return False
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(allowed)))


def _from_tipi(remote_addr: str | None) -> bool:
    """Known as TIPI's: in a non-empty allow-list. Without one, no address is known as TIPI's."""
    return bool(settings.TIPI_RETURN_ALLOWED_IPS) and _address_allowed(remote_addr)


def _triage(body: bytes, remote_addr: str | None) -> Triage:
    """The one place that decides, without the database, whether a notice can be applied."""
    if not _address_allowed(remote_addr):
        return Triage(Outcome.REFUSED_IP, f"adresse {remote_addr} non autorisée")
    if len(body) > RETURN_BODY_LIMIT and not _from_tipi(remote_addr):
        detail = (
            f"corps de plus de {RETURN_BODY_LIMIT} octets : ce ne peut être un retour TIPI (seul son début est gardé)"
        )
        return Triage(Outcome.MALFORMED, detail)
    try:
        return Triage(retour=parse_url_retour(body))
    except InvalidUrlRetour as exc:
        return Triage(Outcome.MALFORMED, " ; ".join(exc.problems))


def _budget_key(remote_addr: str | None) -> str:
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return remote_addr or ""
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{_IPV6_BUDGET_PREFIX}", strict=False))
    return str(address)


def junk_budget_allows(remote_addr: str | None, *, scope: str) -> bool:
    """The same per-address budget for another endpoint's junk (PayFiP's urlnotif: unknown idOps);
    the DGFiP's addresses (TIPI_RETURN_ALLOWED_IPS) are never limited."""
    return _from_tipi(remote_addr) or _within_budget(remote_addr, scope=scope)


def _within_budget(remote_addr: str | None, *, scope: str = _BUDGET_SCOPE) -> bool:
    """Count one refused or malformed notice against its address's budget (atomic counter).

    Past the budget only the counter keeps it; the log says so at the 1st, 2nd, 4th, 8th…
    notice of a window, so that a flood does not move from the table to the journal.
    """
    rate = settings.RETURNS_JUNK_BUDGET
    hit = rate_limit_consume(scope=scope, value=_budget_key(remote_addr), rate=rate)
    if hit.allowed:
        return True
    if hit.count & (hit.count - 1) == 0:
        logger.warning(
            "return notices from %s past their budget (%s): %d refused or malformed in this window, "
            "those past the budget counted, not stored",
            remote_addr,
            rate,
            hit.count,
        )
    return False


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

    The transaction row is locked and the result applied by `transaction_result_apply` (P/V paid,
    R/Z refused, A cancelled; a repeat is a `duplicate`, a contradiction a `conflict`, a late
    payment applied and flagged, an unknown code left to staff as `review`). Forged or broken
    notices change nothing; one without OBJET is left to staff.
    """
    triage = notice.triage or _triage(notice.body, notice.remote_addr)
    retour = triage.retour
    if retour is None:
        return _close(notice, triage.outcome, triage.detail)
    if not retour.objet:
        return _close_without_token(notice, retour)
    transaction = transaction_lock(retour.objet)
    result = retour.resultrans
    if transaction is None:
        return _close(notice, Outcome.UNMATCHED, "aucune transaction pour ce jeton", resultrans=result)
    problems = _mismatches(transaction, retour)
    if problems:
        return _close(notice, Outcome.UNMATCHED, " ; ".join(problems), resultrans=result)
    return _apply_result(notice, transaction, retour)


def _apply_result(notice: StoredNotice, transaction: LockedTransaction, retour: UrlRetour) -> str:
    """Only ever reached through OBJET (the attempt's unguessable token)."""
    applied = transaction_result_apply(
        transaction=transaction,
        resultrans=retour.resultrans,
        numauto=retour.numauto,
        dattrans=retour.dattrans,
        source=SOURCE_CLASSIC_RETURN,
    )
    return _close(notice, applied.outcome, applied.detail, applied.flags, transaction.id, retour.resultrans)
