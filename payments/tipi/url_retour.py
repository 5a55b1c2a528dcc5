"""URL retour: the form TIPI POSTs to URLCL after a payment (annexes 4 and 6; PayFiP's debit too).

The return is not signed and URLCL is public: anyone can POST anything to it. The
parser is therefore strict: every value must have the format of the spec, and every
problem is reported (in French, for the staff's journal), not only the first one.
It never raises anything but ``InvalidUrlRetour``, whatever the body.

Checking that the values match a payment the portal actually started (same NUMCLI,
REFDET, MONTANT, token in OBJET...) is the caller's job: the parser only knows the
formats.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote_plus, urlencode

from .protocol import (
    ANY_REFDET_PATTERN,
    SAISIES,
    is_valid_exer,
    is_valid_mel,
    is_valid_montant_format,
    is_valid_numcli,
    is_valid_objet,
)
from .resultrans import (
    PAID_RESULTS,
    RESULTRANS_VALUES,
    ResultKind,
    is_well_formed_resultrans,
    numauto_required,
    resultrans_kind,
)

#: Parameters of the URL retour in the order of annex 6's syntax, then PayFiP's
#: HEURTRANS.
RETOUR_PARAM_ORDER: tuple[str, ...] = (
    "numcli",
    "exer",
    "refdet",
    "objet",
    "montant",
    "mel",
    "saisie",
    "resultrans",
    "numauto",
    "dattrans",
    "heurtrans",
)

_DATTRANS_RE = re.compile(r"[0-9]{8}")
_HEURTRANS_RE = re.compile(r"([01][0-9]|2[0-3])[0-5][0-9]")
# NUMAUTO is "Numérique 7" in annex 4 and "XXXXXX" in annex 6's examples; card
# authorisation codes are alphanumeric in practice (6 characters usually), so 1 to
# 16 ASCII alphanumerics are accepted rather than refusing a real payment.
_NUMAUTO_RE = re.compile(r"[A-Za-z0-9]{1,16}")
# Longest value quoted back in a problem, so that junk does not flood the journal.
_SHOWN = 40


class InvalidUrlRetour(ValueError):
    """The body POSTed to URLCL is not a valid URL retour; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("URL retour invalide : " + " ; ".join(self.problems))


@dataclass(frozen=True)
class UrlRetour:
    """A parsed URL retour; attribute names are the spec's parameters in lower case.

    ``montant`` is in cents; ``numauto`` may be "" when the payment was refused or
    cancelled (and on a debit, V); ``dattrans`` is TIPI's (Paris) date of the
    transaction; ``heurtrans`` is PayFiP's HHMM, None when not sent. ``resultrans``
    is one ASCII letter, possibly a code the portal does not know (``is_known_result``).
    """

    numcli: str
    exer: str | None
    refdet: str
    objet: str | None
    montant: int
    mel: str
    saisie: str
    resultrans: str
    numauto: str
    dattrans: datetime.date
    heurtrans: str | None = None

    @property
    def is_paid(self) -> bool:
        """True when money was taken: by card (P) or by single SEPA debit (V)."""
        return self.resultrans in PAID_RESULTS

    @property
    def is_known_result(self) -> bool:
        """False for a well-formed code the portal does not know (kept for staff, changes nothing)."""
        return resultrans_kind(self.resultrans) is not ResultKind.UNKNOWN


def format_dattrans(value: datetime.date) -> str:
    """Format a date as DATTRANS: ``JJMMSSAA`` (day, month, century, year) = DDMMYYYY."""
    return f"{value.day:02d}{value.month:02d}{value.year:04d}"


def parse_dattrans(text: str) -> datetime.date:
    """Parse DATTRANS (``JJMMSSAA`` = DDMMYYYY, 8 digits, a real calendar date).

    Raises ``ValueError`` for any other shape (``2026-11-22``, 7 digits) or an
    impossible date (``31022026``).
    """
    if not _DATTRANS_RE.fullmatch(text):
        raise ValueError(f"dattrans: 8 digits JJMMSSAA expected, got {text[:_SHOWN]!r}")
    return datetime.date(int(text[4:8]), int(text[2:4]), int(text[0:2]))


def encode_url_retour(retour: UrlRetour) -> str:
    """Form-encode an URL retour the way TIPI POSTs it (lower-case names, spec order).

    Optional parameters that are None are left out, as TIPI leaves out those absent
    from the URL aller; an empty NUMAUTO is sent empty. Used by the sandbox that
    plays TIPI, and by tests.
    """
    values = {
        "numcli": retour.numcli,
        "exer": retour.exer,
        "refdet": retour.refdet,
        "objet": retour.objet,
        "montant": str(retour.montant),
        "mel": retour.mel,
        "saisie": retour.saisie,
        "resultrans": retour.resultrans,
        "numauto": retour.numauto,
        "dattrans": format_dattrans(retour.dattrans),
        "heurtrans": retour.heurtrans,
    }
    pairs = [(name, values[name]) for name in RETOUR_PARAM_ORDER if values[name] is not None]
    return urlencode(pairs, quote_via=quote)


def _shown(value: str) -> str:
    """Quote a received value in a problem, shortened."""
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "…")


def _decode_body(body: object, problems: list[str]) -> str | None:
    """Turn the body into text, or record why it cannot be and return None."""
    if body is None:
        problems.append("corps de la requête absent")
        return None
    if isinstance(body, (bytes, bytearray, memoryview)):
        try:
            # utf-8-sig: a byte-order mark would otherwise glue itself to the first name.
            return bytes(body).decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.append("corps de la requête illisible : ni ASCII ni UTF-8")
            return None
    if isinstance(body, str):
        return body
    problems.append(f"corps de la requête d'un type inattendu : {type(body).__name__}")
    return None


def _split_form(text: str, problems: list[str]) -> dict[str, str]:
    """Split an x-www-form-urlencoded body into lower-case names and values.

    A segment without "=", an undecodable escape and a name repeated with another
    value are problems; a name repeated with the same value is tolerated.
    """
    fields: dict[str, str] = {}
    for segment in text.split("&"):
        if segment == "":
            continue  # "a=1&&b=2" or a trailing "&": harmless
        if "=" not in segment:
            problems.append(f"segment sans « = » : {_shown(segment)}")
            continue
        raw_name, raw_value = segment.split("=", 1)
        try:
            name = unquote_plus(raw_name, encoding="utf-8", errors="strict").lower()
            value = unquote_plus(raw_value, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            problems.append(f"encodage invalide (UTF-8 attendu) dans {_shown(segment)}")
            continue
        if name == "resulttrans":
            # The spec spells it both ways (annex 4 RESULTRANS, annex 6 RESULTTRANS).
            name = "resultrans"
        if name in fields and fields[name] != value:
            label = "RESULTRANS/RESULTTRANS" if name == "resultrans" else name.upper()
            problems.append(f"paramètre {label} reçu plusieurs fois avec des valeurs différentes")
            continue
        fields[name] = value
    return fields


def parse_url_retour(body: bytes | str) -> UrlRetour:
    """Parse the form TIPI POSTs to URLCL, strictly; raise ``InvalidUrlRetour`` listing every problem.

    Accepts bytes (ASCII/UTF-8) or text, names in any case, RESULTRANS or
    RESULTTRANS; ignores unknown names. Required: NUMCLI (6 digits), REFDET (6 to 30
    ``[A-Za-z0-9]``, the protocol being unknown here), MONTANT (1 to 6 digits), MEL
    (6 to 80 characters with "@" and "."), SAISIE (M, A, T, X), RESULTRANS (one ASCII
    letter: P, V, R, Z, A are known, another letter is parsed and left for the caller to
    treat as unknown), DATTRANS (JJMMSSAA, a real date), NUMAUTO (non-empty when
    RESULTRANS=P; optional otherwise, a debit V included).
    Optional: EXER (4 digits), OBJET (``[A-Za-z0-9 ]``, under 100), HEURTRANS (HHMM).
    """
    problems: list[str] = []
    text = _decode_body(body, problems)
    if text is None:
        raise InvalidUrlRetour(problems)
    # A trailing newline from a hand-made POST is not worth refusing a payment.
    text = text.strip()
    if not text:
        raise InvalidUrlRetour(["corps de la requête vide"])
    fields = _split_form(text, problems)

    def required(name: str, valid, expected: str) -> str | None:
        value = fields.get(name)
        if value is None or value == "":
            problems.append(f"{name.upper()} absent")
            return None
        if not valid(value):
            # MEL is personal data: say it is wrong without copying it to the journal.
            shown = "" if name == "mel" else f" : {_shown(value)}"
            problems.append(f"{name.upper()} invalide ({expected}){shown}")
            return None
        return value

    def optional(name: str, valid, expected: str) -> str | None:
        value = fields.get(name)
        if value is None or value == "":
            return None  # absent from the URL aller, hence from the retour
        if not valid(value):
            problems.append(f"{name.upper()} invalide ({expected}) : {_shown(value)}")
            return None
        return value

    numcli = required("numcli", is_valid_numcli, "6 chiffres attendus")
    exer = optional("exer", is_valid_exer, "4 chiffres attendus")
    refdet = required("refdet", ANY_REFDET_PATTERN.fullmatch, "6 à 30 caractères a-z A-Z 0-9 attendus")
    objet = optional("objet", is_valid_objet, "caractères a-z A-Z 0-9 et espace, moins de 100")
    montant = required("montant", is_valid_montant_format, "1 à 6 chiffres, en centimes")
    mel = required("mel", is_valid_mel, "6 à 80 caractères avec « @ » et « . »")
    saisie = required("saisie", lambda v: v in SAISIES, "M, A, T ou X attendu")
    resultrans = required(
        "resultrans", is_well_formed_resultrans, f"une lettre attendue, connues : {', '.join(RESULTRANS_VALUES)}"
    )

    numauto = fields.get("numauto", "")
    if numauto == "":
        # TIPI sends no authorisation number when the payment is refused or
        # cancelled; a card payment always has one.
        if resultrans is not None and numauto_required(resultrans):
            problems.append(f"NUMAUTO absent alors que RESULTRANS={resultrans}")
    elif not _NUMAUTO_RE.fullmatch(numauto):
        problems.append(f"NUMAUTO invalide (1 à 16 caractères a-z A-Z 0-9) : {_shown(numauto)}")

    dattrans = None
    raw_dattrans = fields.get("dattrans")
    if raw_dattrans is None or raw_dattrans == "":
        problems.append("DATTRANS absent")
    elif not _DATTRANS_RE.fullmatch(raw_dattrans):
        problems.append(f"DATTRANS invalide (JJMMSSAA, 8 chiffres attendus) : {_shown(raw_dattrans)}")
    else:
        try:
            dattrans = parse_dattrans(raw_dattrans)
        except ValueError:
            problems.append(f"DATTRANS n'est pas une date réelle : {_shown(raw_dattrans)}")

    heurtrans = optional("heurtrans", _HEURTRANS_RE.fullmatch, "HHMM attendu")

    if problems:
        raise InvalidUrlRetour(problems)
    return UrlRetour(
        numcli=numcli,
        exer=exer,
        refdet=refdet,
        objet=objet,
        montant=int(montant),
        mel=mel,
        saisie=saisie,
        resultrans=resultrans,
        numauto=numauto,
        dattrans=dattrans,
        heurtrans=heurtrans,
    )
