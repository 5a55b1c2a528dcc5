"""The answers of PayFiP's service as typed values: the payment's detail, the client's labels."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .dates import parse_paid_at
from .errors import PayfipUnavailable

# P paid by card, V paid by SEPA single debit, R card refused, Z debit refused, A abandoned.
# Any other code is kept as sent (a new means of payment): the caller decides, never as a refusal.
PAID_RESULTS = frozenset({"P", "V"})
REFUSED_RESULTS = frozenset({"R", "Z"})
CANCELLED_RESULTS = frozenset({"A"})
KNOWN_RESULTS = PAID_RESULTS | REFUSED_RESULTS | CANCELLED_RESULTS

_RESULTRANS_RE = re.compile(r"[A-Z0-9]{1,4}")
_MONTANT_RE = re.compile(r"[0-9]{1,9}")
_IDOP_RE = re.compile(r"[A-Za-z0-9-]{1,64}")
_SHOWN = 40


@dataclass(frozen=True)
class PaymentDetail:
    """``recupererDetailPaiementSecurise``'s answer: the authenticated result of one operation.

    ``montant`` in integer cents; ``numauto``, ``objet``, ``mel`` and ``exer`` are "" when absent
    (``numauto`` is absent on R, Z and A). ``paid_at`` is the aware Europe/Paris datetime of
    ``dattrans`` + ``heurtrans``, which are kept as received; None only if PayFiP sent neither.
    ``exer`` is not checked: PayFiP was seen echoing ``20`` for ``2019``.
    """

    idop: str
    resultrans: str
    numauto: str
    montant: int
    refdet: str
    numcli: str
    mel: str
    saisie: str
    objet: str
    exer: str
    dattrans: str
    heurtrans: str
    paid_at: datetime.datetime | None

    @property
    def is_paid(self) -> bool:
        return self.resultrans in PAID_RESULTS

    @property
    def is_known_result(self) -> bool:
        return self.resultrans in KNOWN_RESULTS


@dataclass(frozen=True)
class ClientDetail:
    """``recupererDetailClient``'s answer: the client's number and its three labels."""

    numcli: str
    libelle_n1: str
    libelle_n2: str
    libelle_n3: str

    @property
    def labels(self) -> tuple[str, ...]:
        """The non-empty labels, N1 first."""
        return tuple(label for label in (self.libelle_n1, self.libelle_n2, self.libelle_n3) if label)


def _required(leaves: Mapping[str, str], name: str) -> str:
    value = leaves.get(name, "").strip()
    if not value:
        raise PayfipUnavailable(f"réponse sans <{name}>")
    return value


def read_idop(leaves: Mapping[str, str]) -> str:
    """The idOp of ``creerPaiementSecurise``'s answer; PayfipUnavailable if missing or malformed."""
    idop = _required(leaves, "idOp")
    if not _IDOP_RE.fullmatch(idop):
        raise PayfipUnavailable(f"idOp illisible : {idop[:_SHOWN]!r}")
    return idop


def read_payment_detail(leaves: Mapping[str, str], *, idop: str) -> PaymentDetail:
    """A PaymentDetail from the leaves of ``<return>``, for the operation ``idop`` that was asked.

    PayfipUnavailable when a field needed to apply a result is missing or malformed, or when the
    answer is about another operation.
    """
    echoed = leaves.get("idOp", "").strip()
    if echoed and echoed != idop:
        raise PayfipUnavailable(f"réponse pour une autre opération : {echoed[:_SHOWN]!r}")
    resultrans = _required(leaves, "resultrans")
    if not _RESULTRANS_RE.fullmatch(resultrans):
        raise PayfipUnavailable(f"resultrans illisible : {resultrans[:_SHOWN]!r}")
    montant = _required(leaves, "montant")
    if not _MONTANT_RE.fullmatch(montant):
        raise PayfipUnavailable(f"montant illisible : {montant[:_SHOWN]!r}")
    dattrans, heurtrans = leaves.get("dattrans", "").strip(), leaves.get("heurtrans", "").strip()
    paid_at = None
    if dattrans or heurtrans:
        try:
            paid_at = parse_paid_at(dattrans, heurtrans)
        except ValueError as exc:
            raise PayfipUnavailable(str(exc)) from None
    return PaymentDetail(
        idop=idop,
        resultrans=resultrans,
        numauto=leaves.get("numauto", "").strip(),
        montant=int(montant),
        refdet=_required(leaves, "refdet"),
        numcli=_required(leaves, "numcli"),
        mel=leaves.get("mel", "").strip(),
        saisie=_required(leaves, "saisie"),
        objet=leaves.get("objet", ""),
        exer=leaves.get("exer", "").strip(),
        dattrans=dattrans,
        heurtrans=heurtrans,
        paid_at=paid_at,
    )


def read_client_detail(leaves: Mapping[str, str]) -> ClientDetail:
    """A ClientDetail from the leaves of ``<return>``; labels "" when absent."""
    return ClientDetail(
        numcli=_required(leaves, "numcli"),
        libelle_n1=leaves.get("libelleN1", "").strip(),
        libelle_n2=leaves.get("libelleN2", "").strip(),
        libelle_n3=leaves.get("libelleN3", "").strip(),
    )
