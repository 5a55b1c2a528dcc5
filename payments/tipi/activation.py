"""Imposed values of the test (SAISIE=T) and activation (SAISIE=X) URLs (annexes 6 and 11).

A client is activated once, with SAISIE=X, and may send test URLs (SAISIE=T) at any
time. Both carry no real debt: TIPI checks that the reference and the amount are
the imposed ones (R4 and M4 in the T/X column of annex 10).
"""

from __future__ import annotations

from .protocol import TEST_SAISIES, Protocol
from .url_aller import TEST_MONTANT

#: EXER of test/activation URLs (optional in the URL).
TEST_EXER = "9999"

#: The ROLMRE test reference exactly as annex 6 prints it: 20 characters, against
#: the 21 of the ROLMRE format (R2 would reject it).
ROLMRE_TEST_REFDET_AS_PRINTED = "99999999000000000000"

#: Test/activation REFDET per protocol (annex 6).
#:
#: INDIGO and PES V2: ``999900000000999999`` = year 9999, titre/pièce 00000000,
#: order/line 999999.
#: ROLMRE: the spec prints ``99999999000000000000`` (20 characters) under a
#: 21-character format, described as CODEEXER+ROLREC+ROLDEB+ROLDET. It is read as
#: ROLEX ``9999`` + ROLREC ``99`` + ROLDEB ``99`` + ROLDET of 13 zeros: the printed
#: value is one zero short of a 13-character ROLDET, and the nines fill exactly the
#: 8 leading characters, as the titre reference's "9999" fills its year.
#:
#: Régie (protocol 0): annex 6 imposes no value, and annex 10 runs R4 and M4 (the checks of
#: the imposed values) for protocols 1 to 3 only; PayFiP's web-service mode accepts any
#: well-formed REFDET and amount with SAISIE=T. The portal sends the titres' values, which fit
#: protocol 0's format (6 to 30 alphanumerics) and are what DGFiP would check if it did.
TEST_REFDET: dict[Protocol, str] = {
    Protocol.REGIE: "999900000000999999",
    Protocol.INDIGO: "999900000000999999",
    Protocol.PESV2: "999900000000999999",
    Protocol.ROLMRE: "9999" + "99" + "99" + "0" * 13,
}

#: Annex 11: the fictitious card accepted by TIPI for test and activation payments
#: (any expiry date after today).
TEST_CARD_NUMBER = "1111222233334444"
TEST_CARD_CVV = "123"


def test_url_params(
    protocol: Protocol | int,
    numcli: str,
    mel: str,
    saisie: str,
    urlcl: str | None = None,
    objet: str | None = None,
) -> dict[str, str]:
    """Return the URL aller parameters of a test (``saisie="T"``) or activation (``"X"``) URL.

    Imposed values (annex 6): EXER ``9999``, MONTANT ``111111`` and the protocol's
    ``TEST_REFDET``. The result is ready for ``build_url_aller`` and keeps the
    spec's parameter order (a régie, for which annex 6 imposes nothing, gets the titres'
    values: see ``TEST_REFDET``). Raises ``ValueError`` for another SAISIE.
    """
    protocol = Protocol(protocol)
    if saisie not in TEST_SAISIES:
        raise ValueError(f"saisie: 'T' (test) or 'X' (activation) expected, got {saisie!r}")
    params = {"numcli": numcli, "exer": TEST_EXER, "refdet": TEST_REFDET[protocol]}
    if objet:
        params["objet"] = objet
    params["montant"] = TEST_MONTANT
    if urlcl:
        params["urlcl"] = urlcl
    params["mel"] = mel
    params["saisie"] = saisie
    return params


# The name starts with "test": without this, pytest would collect the function as
# a test wherever a test module imports it.
test_url_params.__test__ = False  # type: ignore[attr-defined]
