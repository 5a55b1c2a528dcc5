"""RESULTRANS, the result of a payment: TIPI's codes (annex 4) and PayFiP's since the debit.

Annex 4 defines RESULTRANS as « Alphabétique 1 »: ``P`` payée, ``R`` refusée, ``A`` annulée.
PayFiP added the single SEPA direct debit: ``V`` paid by debit, ``Z`` debit refused. PayFiP
announces other means of payment (virement simplifié, Wero) with no published code, so any
other single ASCII letter is *well-formed but unknown*: it is kept and shown to staff, and
changes nothing (never read as a refusal). Anything else (a digit, two characters, a
non-ASCII letter) is not a RESULTRANS at all: the return is malformed.
"""

from __future__ import annotations

import enum
import re

#: Known codes, paid first: card paid, debit paid, card refused, debit refused, cancelled.
RESULTRANS_VALUES: tuple[str, ...] = ("P", "V", "R", "Z", "A")
#: Money was taken (by card or by debit): the debt moves to "in progress".
PAID_RESULTS: frozenset[str] = frozenset({"P", "V"})
#: No money taken: the payment was refused (card or debit).
REFUSED_RESULTS: frozenset[str] = frozenset({"R", "Z"})
#: The codes of the single SEPA debit (PayFiP).
DEBIT_RESULTS: frozenset[str] = frozenset({"V", "Z"})

# « Alphabétique 1 »: one ASCII letter, either case (a lower-case letter is no known code).
_WELL_FORMED = re.compile(r"[A-Za-z]")


class ResultKind(enum.Enum):
    """What a RESULTRANS means for the portal."""

    PAID = "paid"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


class Means(enum.Enum):
    """The means of payment a RESULTRANS names."""

    CARD = "card"
    DEBIT = "debit"
    NONE = ""  # A (the user left before choosing) and unknown codes


_LABELS = {
    "P": "Payée par carte",
    "V": "Payée par prélèvement",
    "R": "Carte refusée",
    "Z": "Prélèvement refusé",
    "A": "Abandonnée par l'usager",
}


def is_well_formed_resultrans(value: str) -> bool:
    """True for one ASCII letter, known code or not (annex 4: « Alphabétique 1 »)."""
    return bool(_WELL_FORMED.fullmatch(value))


def resultrans_kind(code: str) -> ResultKind:
    """PAID for P and V, REFUSED for R and Z, CANCELLED for A, UNKNOWN for anything else."""
    if code in PAID_RESULTS:
        return ResultKind.PAID
    if code in REFUSED_RESULTS:
        return ResultKind.REFUSED
    if code == "A":
        return ResultKind.CANCELLED
    return ResultKind.UNKNOWN


def resultrans_means(code: str) -> Means:
    """DEBIT for V and Z, CARD for P and R, NONE otherwise."""
    if code in DEBIT_RESULTS:
        return Means.DEBIT
    if code in ("P", "R"):
        return Means.CARD
    return Means.NONE


def resultrans_label(code: str) -> str:
    """The code in staff's words (French): « Payée par prélèvement », « Code inconnu « Q » »…; "" for none."""
    if not code:
        return ""
    return _LABELS.get(code) or f"Code inconnu « {code[:8]} » (à vérifier)"


def numauto_required(code: str) -> bool:
    """NUMAUTO must be present: only on a card payment (P), where the card's authorisation server
    always gives one. PayFiP leaves it out on R, Z and A; whether a classic return carries one on
    a debit (V) is not documented, so a V without NUMAUTO is accepted rather than lost."""
    return code == "P"
