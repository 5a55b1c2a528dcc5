"""URL aller: the portal's controls (annex 10) and the URL itself (annexes 4 and 6).

The portal must check everything it can before opening TIPI (annex 4: "vérifier que
toutes les valeurs obligatoires sont renseignées"), because an URL TIPI refuses
leaves the payer in front of an error pop-up. ``check_url_aller`` runs the annex-10
controls that need no TIPI data; ``build_url_aller`` refuses to build an URL that
fails them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from urllib.parse import quote, urlencode

from .anomalies import Anomaly
from .protocol import (
    OBJET_MAX_EXCLUSIVE,
    REFDET_PATTERNS,
    SAISIES,
    TEST_SAISIES,
    Protocol,
    is_valid_exer,
    is_valid_mel,
    is_valid_montant_format,
    is_valid_numcli,
    is_valid_objet,
    is_valid_urlcl,
    montant_block_code,
)

#: URL aller parameters in the order of the spec's syntax (annex 6):
#: ``numcli=&exer=&refdet=&objet=&montant=&urlcl=&mel=&saisie=``.
PARAM_ORDER: tuple[str, ...] = ("numcli", "exer", "refdet", "objet", "montant", "urlcl", "mel", "saisie")
#: Optional parameters: an empty value means "not given" (annex 4, "F").
OPTIONAL_PARAMS: frozenset[str] = frozenset({"exer", "objet", "urlcl"})
#: Path of the payment page under the service root (annex 4).
PAIEMENT_PATH = "/tpa/paiement.web"
#: The imposed test/activation amount (annex 6), checked under M4 for SAISIE T and X.
TEST_MONTANT = "111111"

# The REFDET control per protocol (annex 10): R1 for titres (INDIGO, PES V2), R2 for
# rôles (ROLMRE), R3 for régies.
_REFDET_CODES = {
    Protocol.REGIE: "R3",
    Protocol.INDIGO: "R1",
    Protocol.ROLMRE: "R2",
    Protocol.PESV2: "R1",
}

# Letters NFKD does not decompose into a base letter plus accents.
_LIGATURES = str.maketrans(
    {
        "Œ": "OE",
        "œ": "oe",
        "Æ": "AE",
        "æ": "ae",
        "ß": "ss",
        "Ø": "O",
        "ø": "o",
        "Đ": "D",
        "đ": "d",
        "Ł": "L",
        "ł": "l",
    }
)


class InvalidUrlAller(ValueError):
    """Raised by ``build_url_aller`` instead of building an URL TIPI would refuse.

    ``anomalies`` lists every annex-10 anomaly found, in the spec's order.
    """

    def __init__(self, anomalies: list[Anomaly]) -> None:
        self.anomalies = list(anomalies)
        summary = ", ".join(f"{a.code} ({a.field})" for a in self.anomalies)
        super().__init__(f"URL aller refused: {summary}")


def normalise_objet(text: str) -> str:
    """Make free text acceptable as OBJET: ``[A-Za-z0-9 ]`` only, under 100 characters.

    Accents are stripped (é -> e, Œ -> OE), every other character outside
    ``[A-Za-z0-9 ]`` becomes a space (an apostrophe, "/" or "#" makes TIPI reject
    the URL under O1), spaces are collapsed, the result is stripped and cut to 99
    characters.
    """
    # NFKD splits "é" into "e" + a combining accent (dropped below) and turns
    # compatibility forms into plain ones ("ﬁ" -> "fi", full-width letters).
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    kept = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue  # the accent of a decomposed letter
        kept.append(char if char.isascii() and (char.isalnum() or char == " ") else " ")
    collapsed = " ".join("".join(kept).split())
    return collapsed[: OBJET_MAX_EXCLUSIVE - 1].rstrip()


def _normalise_params(params: Mapping[str, object]) -> dict[str, str]:
    """Lower-case the names, drop absent values and empty optional ones, make values text.

    A required parameter given as "" is dropped too: it then counts as missing,
    which is what the spec's controls report.
    """
    result: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        text = value if isinstance(value, str) else str(value)
        if text == "":
            continue
        result[str(name).lower()] = text
    return result


def check_url_aller(params: Mapping[str, object], protocol: Protocol | int) -> list[Anomaly]:
    """Run the annex-10 controls the portal can run itself; return the anomalies in spec order.

    ``params`` maps lower-case URL parameter names (numcli, exer, refdet, objet,
    montant, mel, urlcl, saisie) to strings; a parameter is absent when not given,
    an empty string counts as not given. Controls: S1, T1, R1/R2/R3, O1, M1, M2, M3,
    M4 (T/X only: MONTANT must be 111111), A1, A2, U1, U2. The controls needing
    TIPI's data (T2-T6, R4-R11, M4 for real debts) are not run here.
    """
    protocol = Protocol(protocol)
    p = _normalise_params(params)
    found: list[Anomaly] = []

    def report(code: str, field: str) -> None:
        found.append(Anomaly(code, field, protocol))

    saisie = p.get("saisie")
    if saisie not in SAISIES:
        report("S1", "saisie")

    numcli = p.get("numcli")
    if numcli is None or not is_valid_numcli(numcli):
        report("T1", "numcli")

    refdet = p.get("refdet")
    if refdet is None or not REFDET_PATTERNS[protocol].fullmatch(refdet):
        report(_REFDET_CODES[protocol], "refdet")

    objet = p.get("objet")
    if objet is not None and not is_valid_objet(objet):
        report("O1", "objet")

    montant = p.get("montant")
    if montant is None or not is_valid_montant_format(montant):
        # A missing amount is reported as M1 too: the format check is the only
        # annex-10 control on MONTANT's presence. M2-M4 need a well-formed amount.
        report("M1", "montant")
    elif saisie in TEST_SAISIES:
        # Annex 10, M2/M3: "pour l'activation et le test, le contrôle est effectué
        # mais ne donnera lieu à aucune anomalie car la vérification de la valeur
        # (111111) est faite en premier" - that check is M4's.
        if montant != TEST_MONTANT:
            report("M4", "montant")
    elif code := montant_block_code(int(montant)):
        report(code, "montant")

    mel = p.get("mel")
    if mel is None:
        report("A1", "mel")
    elif not is_valid_mel(mel):
        report("A2", "mel")

    urlcl = p.get("urlcl")
    if protocol is Protocol.REGIE:
        if urlcl is None or not is_valid_urlcl(urlcl):
            report("U1", "urlcl")
    elif urlcl is not None:
        if not is_valid_urlcl(urlcl):
            report("U2", "urlcl")
    elif saisie == "A":
        # Annex 4 on URLCL: "Obligatoire en cas de compte-usager" (SAISIE=A): the
        # portal must learn of the payment in real time to mark the debt as being
        # paid. Annex 10 has no code for it (TIPI would accept the URL), so it is
        # reported as U2, the URLCL control of protocols 1-3.
        report("U2", "urlcl")

    return found


def url_aller_endpoint(base_url: str) -> str:
    """Return the payment page's address from the service root (or the page itself).

    ``https://www.payfip.gouv.fr`` -> ``https://www.payfip.gouv.fr/tpa/paiement.web``;
    an address already ending with ``paiement.web`` is kept as it is.
    """
    base = base_url.strip().rstrip("?").rstrip("/")
    if not base:
        raise ValueError("base_url: empty")
    if base.endswith("paiement.web"):
        return base
    return base + PAIEMENT_PATH


def build_url_aller(base_url: str, params: Mapping[str, object], protocol: Protocol | int) -> str:
    """Build the URL aller, or raise ``InvalidUrlAller`` when TIPI would refuse it.

    OBJET is first normalised with ``normalise_objet`` (dropped if nothing is
    left). Parameters come in the spec's order (``PARAM_ORDER``), lower-case,
    omitted when not given, percent-encoded. Unknown parameter names and a
    malformed EXER raise a plain ``ValueError``.
    """
    protocol = Protocol(protocol)
    p = _normalise_params(params)
    unknown = set(p) - set(PARAM_ORDER)
    if unknown:
        name = sorted(unknown)[0]
        raise ValueError(f"{name}: not an URL aller parameter")
    if "objet" in p:
        objet = normalise_objet(p["objet"])
        if objet:
            p["objet"] = objet
        else:
            del p["objet"]
    anomalies = check_url_aller(p, protocol)
    if anomalies:
        raise InvalidUrlAller(anomalies)
    # Annex 10 has no EXER control for titres and rôles ("E1 n'existe pas"), but a
    # malformed EXER would come back in the URL retour, which requires the SSAA
    # format: refuse it here rather than receive an unparseable return.
    if "exer" in p and not is_valid_exer(p["exer"]):
        raise ValueError(f"exer: 4 digits (SSAA) expected, got {p['exer']!r}")
    query = urlencode([(name, p[name]) for name in PARAM_ORDER if name in p], quote_via=quote)
    return f"{url_aller_endpoint(base_url)}?{query}"
