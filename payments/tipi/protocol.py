"""TIPI protocols, input modes and the value formats shared by the URL aller and retour.

Everything here comes from the TIPI specification (cahier des charges, annexes 4, 6
and 10). The formats live in one place because the URL aller (what we send) and the
URL retour (what TIPI sends back, "Idem URL aller") must agree on them: a value we
accept when building must parse back when it returns.

Regular expressions spell out ``[0-9]`` and ``[A-Za-z0-9]`` on purpose: ``\\d`` and
``str.isdigit()``/``str.isalnum()`` accept non-ASCII digits and accented letters,
which TIPI refuses.
"""

from __future__ import annotations

import ipaddress
import re
from enum import IntEnum
from urllib.parse import urlsplit


class Protocol(IntEnum):
    """Annex-10 protocol codes: one TIPI client (NUMCLI) works with exactly one of them."""

    REGIE = 0
    INDIGO = 1
    ROLMRE = 2
    PESV2 = 3

    @property
    def slug(self) -> str:
        """The protocol as the portal stores it: a client's protocol, an import file's format."""
        return self.name.lower()

    @classmethod
    def from_slug(cls, slug: str) -> Protocol:
        """The protocol stored as ``slug``; ValueError for an unknown one."""
        if slug != slug.lower() or slug.upper() not in cls.__members__:
            raise ValueError(f"Protocole TIPI inconnu : {slug!r}")
        return cls[slug.upper()]

    @property
    def label(self) -> str:
        """The protocol's name as TIPI's documents spell it."""
        return _PROTOCOL_LABELS[self]

    @property
    def debt_kind(self) -> str:
        """What its debts are called (French): "titres" or "rôles"; a régie issues bills."""
        return _PROTOCOL_DEBT_KINDS[self]


_PROTOCOL_LABELS = {
    Protocol.REGIE: "Régie",
    Protocol.INDIGO: "INDIGO",
    Protocol.ROLMRE: "ROLMRE",
    Protocol.PESV2: "PES V2 Recette",
}
_PROTOCOL_DEBT_KINDS = {
    Protocol.REGIE: "factures",
    Protocol.INDIGO: "titres",
    Protocol.ROLMRE: "rôles",
    Protocol.PESV2: "titres",
}
#: The protocols the portal serves, in code order: titres and rôles (files from Hélios) and
#: régies (protocol 0: invoices of the régie's billing software, CSV; docs/regie-csv.md).
PORTAL_PROTOCOLS: tuple[Protocol, ...] = tuple(Protocol)


#: SAISIE values (annex 10, S1): manual form, selection in a list (compte usager),
#: test URL, activation URL.
SAISIES: tuple[str, ...] = ("M", "A", "T", "X")
#: The two SAISIE values of annex 6 (imposed test/activation values).
TEST_SAISIES: tuple[str, ...] = ("T", "X")

#: Amount bounds in cents (annex 10, M2 and M3): a card payment over the Internet is
#: refused from 1500 EUR upwards and below 1 EUR.
MONTANT_MAX_EXCLUSIVE = 150_000
MONTANT_MIN = 100

#: URLCL must be shorter than 250 characters (annex 4 "< 250").
URLCL_MAX_EXCLUSIVE = 250
#: OBJET must be shorter than 100 characters (annex 4 "< 100").
OBJET_MAX_EXCLUSIVE = 100
#: MEL length bounds, inclusive (annex 4 "6 à 80").
MEL_MIN_LENGTH = 6
MEL_MAX_LENGTH = 80

_NUMCLI_RE = re.compile(r"[0-9]{6}")
_EXER_RE = re.compile(r"[0-9]{4}")
_MONTANT_RE = re.compile(r"[0-9]{1,6}")
_OBJET_CHARS_RE = re.compile(r"[A-Za-z0-9 ]*")
_URLCL_PREFIX_RE = re.compile(r"https?://", re.IGNORECASE)

#: REFDET formats per protocol (annex 10, R1/R2/R3).
REFDET_PATTERNS: dict[Protocol, re.Pattern[str]] = {
    Protocol.REGIE: re.compile(r"[A-Za-z0-9]{6,30}"),
    Protocol.INDIGO: re.compile(r"[0-9]{18}"),
    Protocol.ROLMRE: re.compile(r"[A-Za-z0-9]{21}"),
    Protocol.PESV2: re.compile(r"[0-9]{18}"),
}
#: The loosest REFDET shape, used by the retour parser, which does not know the
#: protocol: every protocol's REFDET fits 6 to 30 ASCII alphanumerics.
ANY_REFDET_PATTERN = REFDET_PATTERNS[Protocol.REGIE]


def is_valid_numcli(value: str) -> bool:
    """Return True when NUMCLI is exactly 6 ASCII digits (annex 10, T1)."""
    return _NUMCLI_RE.fullmatch(value) is not None


def montant_block_code(cents: int) -> str | None:
    """The anomaly TIPI raises for a card payment of this amount: M2 (1500 EUR or more),
    M3 (under 1 EUR), or None when the amount may be paid by card (annex 10)."""
    if cents >= MONTANT_MAX_EXCLUSIVE:
        return "M2"
    if cents < MONTANT_MIN:
        return "M3"
    return None


def is_valid_exer(value: str) -> bool:
    """Return True when EXER is 4 ASCII digits (annex 4, format SSAA)."""
    return _EXER_RE.fullmatch(value) is not None


def is_valid_refdet(protocol: Protocol | int, value: str) -> bool:
    """Return True when REFDET has the format of the given protocol (annex 10, R1-R3)."""
    return REFDET_PATTERNS[Protocol(protocol)].fullmatch(value) is not None


def is_valid_montant_format(value: str) -> bool:
    """Return True when MONTANT is 1 to 6 ASCII digits: cents, no comma (annex 10, M1)."""
    return _MONTANT_RE.fullmatch(value) is not None


def is_valid_objet(value: str) -> bool:
    """Return True when OBJET only holds ``[A-Za-z0-9 ]`` and is under 100 characters (O1)."""
    return len(value) < OBJET_MAX_EXCLUSIVE and _OBJET_CHARS_RE.fullmatch(value) is not None


def is_valid_mel(value: str) -> bool:
    """Return True when MEL is 6 to 80 characters and holds "@" and "." (annex 10, A2).

    Only the spec's rule is applied: it is what TIPI checks, and a stricter e-mail
    grammar here would refuse addresses TIPI accepts.
    """
    return MEL_MIN_LENGTH <= len(value) <= MEL_MAX_LENGTH and "@" in value and "." in value


def is_valid_urlcl(value: str) -> bool:
    """Return True when URLCL starts with ``http://`` (or ``https://``) and is under 250 chars.

    The spec writes the format as "http://.....": https is accepted too because
    annex 4 allows port 443 for the return. Something must follow the scheme.
    """
    match = _URLCL_PREFIX_RE.match(value)
    return match is not None and len(value) > match.end() and len(value) < URLCL_MAX_EXCLUSIVE


#: Host names that never designate a public address (RFC 6761, 6762, 8375, ICANN's .internal).
_PRIVATE_NAME_SUFFIXES: tuple[str, ...] = (".localhost", ".local", ".home.arpa", ".internal", ".test", ".invalid")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def urlcl_address_problems(value: str) -> list[str]:
    """What TIPI refuses in URLCL's address, in French; empty when it may receive the return.

    §4.3.1 and annexes 4 and 6: "une adresse IP publique et non privée", and "seuls les ports
    par défaut sont autorisés, protocole http port 80 et protocole https port 443". An address
    given as an IP must be global (not private, loopback, link-local or reserved); a name must
    not be one that never resolves publicly (``localhost``, a single label, ``.local``...).
    Names are not resolved here (pure function): a caller that may use the network does it.
    """
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return [f"adresse illisible : {value[:80]!r}"]
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return ["l'adresse doit commencer par http:// ou https://"]
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return ["l'adresse ne nomme aucun serveur"]
    problems: list[str] = []
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        if not address.is_global:
            problems.append(f"{host} n'est pas une adresse IP publique (adresse privée, locale ou réservée)")
    elif host == "localhost" or "." not in host or host.endswith(_PRIVATE_NAME_SUFFIXES):
        problems.append(f"{host} n'est pas un nom de serveur public")
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        problems.append(f"port {port} : seuls les ports par défaut sont autorisés (http port 80, https port 443)")
    return problems
