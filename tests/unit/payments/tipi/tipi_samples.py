"""Valid URL aller parameters per protocol, shared by the TIPI unit tests.

Each call returns a fresh dict, so a test can break one value without touching the
others. The module name does not start with "test_": pytest does not collect it.
"""

from __future__ import annotations

from payments.tipi import Protocol

REFDETS = {
    Protocol.REGIE: "FAC2026001",
    Protocol.INDIGO: "202600001234000001",
    Protocol.ROLMRE: "2026AB000000000012345",
    Protocol.PESV2: "202600000012000001",
}

URLCL = "https://portail.example.fr/paiement/retour"


def valid_params(protocol: Protocol, saisie: str = "M", **changes: str | None) -> dict[str, str]:
    """Valid URL aller parameters for ``protocol``; ``changes`` overrides (None removes)."""
    params = {
        "numcli": "123456",
        "exer": "2026",
        "refdet": REFDETS[protocol],
        "objet": "Cantine janvier",
        "montant": "111111" if saisie in ("T", "X") else "4250",
        "urlcl": URL_FOR[protocol],
        "mel": "jean.dupont@example.fr",
        "saisie": saisie,
    }
    if params["urlcl"] is None:
        del params["urlcl"]
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    return params


# URLCL is mandatory for the régie protocol (U1); left out for the others, where it
# is optional in manual mode.
URL_FOR = {
    Protocol.REGIE: URLCL,
    Protocol.INDIGO: None,
    Protocol.ROLMRE: None,
    Protocol.PESV2: None,
}
