"""Composition of REFDET, the debt reference, from the parts of each protocol (annex 4).

* INDIGO: CODEXER (4) + NUMTITRE (8) + NUMORDRE (6) = 18 digits.
* PES V2 Recette: Exer (4) + IdPce (8) + IdLigne (6) = 18 digits.
* ROLMRE: ROLEX (4) + ROLREC (2) + ROLDEB (2) + ROLDET (13) = 21 alphanumerics.
* Régie (protocol 0): a free reference of 6 to 30 ``[A-Za-z0-9]``; from an invoice
  number that does not fit (``FAC-2026/001``, ``123``, accents), one is derived by
  ``regie_refdet``: deterministic, and unique per invoice number.

Numeric parts shorter than their width are zero-padded on the left (a PES V2 file
carries ``IdPce V="12"``, which is ``00000012`` in REFDET); anything too long, not
ASCII, or not of the expected kind raises ``ValueError`` naming the part, so an
importer can report which field of which record is wrong.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata

from .protocol import REFDET_PATTERNS, Protocol

_DIGITS = re.compile(r"[0-9]+")
_ALNUM = re.compile(r"[A-Za-z0-9]+")

# INDIGO "nature de titre" forcing NUMORDRE to 000001 (annex 4): 00 and 01 are
# mono-débiteur mono-imputation, 09 and 10 mono-débiteur multi-imputation (payment
# grouped on the first order number).
INDIGO_NATURES_FIRST_ORDER: frozenset[str] = frozenset({"00", "01", "09", "10"})
# Nature 03 (multi-débiteur mono-imputation) keeps the line's own NUMORDRE.
INDIGO_NATURE_OWN_ORDER = "03"

_PARTS: dict[Protocol, frozenset[str]] = {
    Protocol.REGIE: frozenset({"refdet", "invoice"}),
    Protocol.INDIGO: frozenset({"codexer", "numtitre", "numordre", "nature_titre"}),
    Protocol.PESV2: frozenset({"exer", "idpce", "idligne"}),
    Protocol.ROLMRE: frozenset({"rolex", "rolrec", "roldeb", "roldet", "rolnat"}),
}


def _text(name: str, value: object) -> str | None:
    """Return the part as stripped text, or None when absent or blank.

    Surrounding spaces are dropped because the parts often come from fixed-width
    files where fields are space-padded. Integers are accepted (an XML or database
    value may already be one); bools and other types are refused.
    """
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{name}: negative number {value}")
        return str(value)
    if not isinstance(value, str):
        raise ValueError(f"{name}: expected text or a non-negative integer, got {type(value).__name__}")
    value = value.strip()
    return value or None


def _require(name: str, value: str | None) -> str:
    """Refuse a missing part."""
    if value is None:
        raise ValueError(f"{name}: missing")
    return value


def _check_ascii(name: str, value: str) -> None:
    """Refuse accents and other non-ASCII characters with an explicit message."""
    if not value.isascii():
        raise ValueError(f"{name}: accents and non-ASCII characters are not allowed ({value!r})")


def _digits(name: str, value: str, width: int, *, exact: bool = False) -> str:
    """Return ``value`` as exactly ``width`` digits, zero-padding on the left.

    With ``exact`` the value must already have ``width`` digits: used for the years,
    where "26" for 2026 is a bug to report, not a number to pad.
    """
    _check_ascii(name, value)
    if not _DIGITS.fullmatch(value):
        raise ValueError(f"{name}: digits only expected, got {value!r}")
    if len(value) > width or (exact and len(value) != width):
        expected = f"exactly {width}" if exact else f"at most {width}"
        raise ValueError(f"{name}: {expected} digits expected, got {len(value)} ({value!r})")
    return value.zfill(width)


def _alnum(name: str, value: str, width: int) -> str:
    """Return ``value`` as ``width`` ASCII alphanumerics; only all-digit values are padded."""
    _check_ascii(name, value)
    if not _ALNUM.fullmatch(value):
        raise ValueError(f"{name}: letters a-z A-Z and digits only expected, got {value!r}")
    if len(value) > width:
        raise ValueError(f"{name}: at most {width} characters expected, got {len(value)} ({value!r})")
    if len(value) < width:
        # A numeric code is padded like a number; padding letters would invent a code.
        if not _DIGITS.fullmatch(value):
            raise ValueError(f"{name}: exactly {width} characters expected, got {len(value)} ({value!r})")
        value = value.zfill(width)
    return value


def _indigo(parts: dict[str, str | None]) -> str:
    codexer = _digits("codexer", _require("codexer", parts.get("codexer")), 4, exact=True)
    numtitre = _digits("numtitre", _require("numtitre", parts.get("numtitre")), 8)
    nature = parts.get("nature_titre")
    numordre = parts.get("numordre")
    if numordre is not None:
        # Validated even when the nature overrides it: a malformed value in the
        # file is a data problem worth reporting.
        numordre = _digits("numordre", numordre, 6)
    if nature is not None:
        nature = _digits("nature_titre", nature, 2)
        if nature in INDIGO_NATURES_FIRST_ORDER:
            # Annex 4: "doit être impérativement servie à 000001".
            numordre = "000001"
        # Nature 03 keeps the line's NUMORDRE. Other natures are not described by
        # the spec (multi-débiteur multi-imputation needs the TIPI project team):
        # the given NUMORDRE is kept, as without a nature.
    return codexer + numtitre + _require("numordre", numordre)


def _pesv2(parts: dict[str, str | None]) -> str:
    exer = _digits("exer", _require("exer", parts.get("exer")), 4, exact=True)
    idpce = _digits("idpce", _require("idpce", parts.get("idpce")), 8)
    idligne = _digits("idligne", _require("idligne", parts.get("idligne")), 6)
    return exer + idpce + idligne


def _rolmre(parts: dict[str, str | None]) -> str:
    rolex = _digits("rolex", _require("rolex", parts.get("rolex")), 4, exact=True)
    rolrec = parts.get("rolrec")
    roldeb = parts.get("roldeb")
    if rolrec is not None:
        # ROLMRE "EAU": the code recette is given; ROLDEB if given, else "00".
        code = _alnum("rolrec", rolrec, 2)
        debut = _digits("roldeb", roldeb, 2) if roldeb is not None else "00"
    else:
        # ROLMRE "DDPAC": no ROLREC, use ROLNAT; ROLDEB is not filled, "00" is
        # imposed (annex 4: "ROLDEB (2) ou «00» pour les ex DDPAC"), whatever the
        # file says.
        rolnat = parts.get("rolnat")
        if rolnat is None:
            raise ValueError("rolrec: missing, and no rolnat to use instead (ROLMRE DDPAC)")
        code = _digits("rolnat", rolnat, 2)
        if roldeb is not None:
            _digits("roldeb", roldeb, 2)
        debut = "00"
    # ROLDET is numeric (format 9) in the ROLMRE layout: zero-padded; the REFDET
    # format allows alphanumerics, so a 13-character alphanumeric value is kept.
    roldet = _alnum("roldet", _require("roldet", parts.get("roldet")), 13)
    return rolex + code + debut + roldet


#: The longest invoice number a régie may send (the portal keeps it beside the REFDET).
INVOICE_MAX_LENGTH = 40
#: A derived régie REFDET: up to 17 characters kept from the invoice number, then 13 of a hash.
_DERIVED_KEPT = 17
_DERIVED_HASH = 13


def regie_refdet(invoice: str) -> str:
    """The REFDET of a régie invoice (protocol 0: 6 to 30 ``[A-Za-z0-9]``) from its number.

    An invoice number that already fits is its own REFDET. Any other (too short, too long,
    with ``-``, ``/``, spaces or accents) gets a derived one: its ASCII letters and digits
    (accents stripped), at most 17 of them, then the first 13 characters of the base32
    SHA-256 of the number (stripped of surrounding spaces, UTF-8). The same number always
    gives the same REFDET, and two numbers one only by chance (65 bits of hash); the portal
    stores the number with the debt and refuses a second invoice whose REFDET is held.
    Raises ``ValueError`` (``invoice: …``) for a blank number, one over 40 characters or
    one with control characters.
    """
    if not isinstance(invoice, str):
        raise ValueError(f"invoice: expected text, got {type(invoice).__name__}")
    number = invoice.strip()
    if not number:
        raise ValueError("invoice: missing")
    if len(number) > INVOICE_MAX_LENGTH:
        raise ValueError(f"invoice: at most {INVOICE_MAX_LENGTH} characters expected, got {len(number)}")
    if any(unicodedata.category(char).startswith("C") for char in number):
        raise ValueError(f"invoice: control characters are not allowed ({number!r})")
    if REFDET_PATTERNS[Protocol.REGIE].fullmatch(number):
        return number
    ascii_only = unicodedata.normalize("NFKD", number).encode("ascii", "ignore").decode("ascii")
    kept = "".join(_ALNUM.findall(ascii_only))[:_DERIVED_KEPT]
    digest = base64.b32encode(hashlib.sha256(number.encode("utf-8")).digest()).decode("ascii")
    return kept + digest[:_DERIVED_HASH]


def _regie(parts: dict[str, str | None]) -> str:
    if parts.get("invoice") is not None:
        if parts.get("refdet") is not None:
            raise ValueError("refdet: give either the REFDET or the invoice number, not both")
        return regie_refdet(parts["invoice"])
    refdet = _require("refdet", parts.get("refdet"))
    _check_ascii("refdet", refdet)
    if not REFDET_PATTERNS[Protocol.REGIE].fullmatch(refdet):
        raise ValueError(f"refdet: 6 to 30 characters a-z A-Z 0-9 expected, got {refdet!r}")
    return refdet


_COMPOSERS = {
    Protocol.REGIE: _regie,
    Protocol.INDIGO: _indigo,
    Protocol.PESV2: _pesv2,
    Protocol.ROLMRE: _rolmre,
}


def compose_refdet(protocol: Protocol | int, **parts: object) -> str:
    """Build the REFDET of a debt from its protocol's parts, named like the spec in lower case.

    * INDIGO: ``codexer``, ``numtitre``, ``numordre``, optional ``nature_titre``
      (00/01/09/10 force NUMORDRE to 000001; 03 and no nature keep ``numordre``).
    * PES V2: ``exer``, ``idpce``, ``idligne``.
    * ROLMRE: ``rolex``, ``rolrec`` (EAU) or ``rolnat`` (DDPAC, ROLREC empty),
      optional ``roldeb`` (``00`` when absent, always ``00`` for DDPAC), ``roldet``.
    * Régie: ``refdet`` (6 to 30 ``[A-Za-z0-9]``), or ``invoice``, the invoice number,
      from which ``regie_refdet`` derives one.

    Raises ``ValueError`` whose message starts with the faulty part's name.
    """
    protocol = Protocol(protocol)
    unexpected = set(parts) - _PARTS[protocol]
    if unexpected:
        name = sorted(unexpected)[0]
        raise ValueError(f"{name}: not a REFDET part of protocol {protocol.name}")
    texts = {name: _text(name, value) for name, value in parts.items()}
    refdet = _COMPOSERS[protocol](texts)
    # Belt and braces: what we compose must pass TIPI's own format control.
    if not REFDET_PATTERNS[protocol].fullmatch(refdet):  # pragma: no cover - by construction
        raise ValueError(f"refdet: composed value {refdet!r} does not match protocol {protocol.name}")
    return refdet


def refdet_as_printed(protocol: Protocol | int, refdet: str) -> str:
    """The reference as the citizen reads it on the bill, in French, from a REFDET of this protocol.

    * INDIGO and PES V2: ``Exercice 2026, titre n° 00000123, ordre n° 000001`` (the fixed
      widths of annex 4: year 4, title 8, order 6);
    * ROLMRE: ``Facture n° 8698509103613 de 2026`` (ROLDET, the water bill's number, and ROLEX);
    * Régie, or a REFDET that does not have its protocol's format: the REFDET itself.
    """
    protocol = Protocol(protocol)
    if not REFDET_PATTERNS[protocol].fullmatch(refdet):
        return refdet
    if protocol in (Protocol.INDIGO, Protocol.PESV2):
        return f"Exercice {refdet[:4]}, titre n° {refdet[4:12]}, ordre n° {refdet[12:18]}"
    if protocol is Protocol.ROLMRE:
        return f"Facture n° {refdet[8:21]} de {refdet[:4]}"
    return refdet
