"""compose_refdet: REFDET per protocol (annex 4), and ValueError naming the faulty part."""

from __future__ import annotations

import pytest

from payments.tipi import Protocol, compose_refdet, is_valid_refdet

# --- INDIGO -----------------------------------------------------------------------


@pytest.mark.parametrize("nature", ["00", "01", "09", "10", "0", "1", 9])
def test_indigo_first_order_natures_force_000001(nature):
    refdet = compose_refdet(Protocol.INDIGO, codexer="2026", numtitre="1234", numordre="3", nature_titre=nature)
    assert refdet == "2026" + "00001234" + "000001"


def test_indigo_first_order_nature_needs_no_numordre():
    assert compose_refdet(Protocol.INDIGO, codexer="2026", numtitre="1234", nature_titre="10") == "202600001234000001"


def test_indigo_nature_03_keeps_the_line_order():
    refdet = compose_refdet(Protocol.INDIGO, codexer="2026", numtitre="1234", numordre="000017", nature_titre="03")
    assert refdet == "202600001234000017"


def test_indigo_without_nature_keeps_numordre():
    assert compose_refdet(Protocol.INDIGO, codexer="2026", numtitre="87654321", numordre="42") == "202687654321000042"


def test_indigo_unknown_nature_keeps_numordre():
    assert compose_refdet(Protocol.INDIGO, codexer="2026", numtitre="1", numordre="5", nature_titre="02").endswith(
        "000005"
    )


def test_indigo_accepts_integers_and_space_padded_fields():
    assert compose_refdet(Protocol.INDIGO, codexer=2026, numtitre="    1234", numordre=7) == "202600001234000007"


@pytest.mark.parametrize(
    ("parts", "part"),
    [
        ({"codexer": "26", "numtitre": "1", "numordre": "1"}, "codexer"),
        ({"codexer": "20266", "numtitre": "1", "numordre": "1"}, "codexer"),
        ({"numtitre": "1", "numordre": "1"}, "codexer"),
        ({"codexer": "2026", "numtitre": "12A", "numordre": "1"}, "numtitre"),
        ({"codexer": "2026", "numtitre": "123456789", "numordre": "1"}, "numtitre"),
        ({"codexer": "2026", "numtitre": "12é", "numordre": "1"}, "numtitre"),
        ({"codexer": "2026", "numtitre": "１２", "numordre": "1"}, "numtitre"),
        ({"codexer": "2026", "numordre": "1"}, "numtitre"),
        ({"codexer": "2026", "numtitre": "", "numordre": "1"}, "numtitre"),
        ({"codexer": "2026", "numtitre": "1", "numordre": "1234567"}, "numordre"),
        ({"codexer": "2026", "numtitre": "1", "numordre": "-1"}, "numordre"),
        ({"codexer": "2026", "numtitre": "1"}, "numordre"),
        ({"codexer": "2026", "numtitre": "1", "nature_titre": "03"}, "numordre"),
        ({"codexer": "2026", "numtitre": "1", "numordre": "1", "nature_titre": "123"}, "nature_titre"),
        ({"codexer": "2026", "numtitre": "1", "numordre": "1", "exer": "2026"}, "exer"),
        ({"codexer": "2026", "numtitre": True, "numordre": "1"}, "numtitre"),
        ({"codexer": "2026", "numtitre": -5, "numordre": "1"}, "numtitre"),
    ],
)
def test_indigo_bad_parts_name_the_part(parts, part):
    with pytest.raises(ValueError, match=rf"^{part}: "):
        compose_refdet(Protocol.INDIGO, **parts)


# --- PES V2 -------------------------------------------------------------------------


def test_pesv2_pads_idpce_and_idligne():
    # A real PES file carries IdPce V="12" and IdLigne V="1".
    assert compose_refdet(Protocol.PESV2, exer="2026", idpce="12", idligne="1") == "202600000012000001"


def test_pesv2_full_width_values():
    assert compose_refdet(Protocol.PESV2, exer="2025", idpce="87654321", idligne="999999") == "202587654321999999"


@pytest.mark.parametrize(
    ("parts", "part"),
    [
        ({"exer": "2026", "idpce": "123456789", "idligne": "1"}, "idpce"),
        ({"exer": "2026", "idpce": "12", "idligne": "1a"}, "idligne"),
        ({"exer": "2026", "idpce": "12", "idligne": "1234567"}, "idligne"),
        ({"exer": "202", "idpce": "12", "idligne": "1"}, "exer"),
        ({"idpce": "12", "idligne": "1"}, "exer"),
        ({"exer": "2026", "idligne": "1"}, "idpce"),
        ({"exer": "2026", "idpce": "1,2", "idligne": "1"}, "idpce"),
        ({"exer": "2026", "idpce": "12", "idligne": "1", "numtitre": "1"}, "numtitre"),
    ],
)
def test_pesv2_bad_parts_name_the_part(parts, part):
    with pytest.raises(ValueError, match=rf"^{part}: "):
        compose_refdet(Protocol.PESV2, **parts)


# --- ROLMRE -----------------------------------------------------------------------


def test_rolmre_eau():
    refdet = compose_refdet(Protocol.ROLMRE, rolex="2026", rolrec="AB", roldeb="12", roldet="12345")
    assert refdet == "2026" + "AB" + "12" + "0000000012345"
    assert len(refdet) == 21


def test_rolmre_eau_without_roldeb_uses_00():
    assert compose_refdet(Protocol.ROLMRE, rolex="2026", rolrec="A1", roldet="1") == "2026A100" + "0000000000001"
    assert compose_refdet(Protocol.ROLMRE, rolex="2026", rolrec="A1", roldeb="", roldet="1") == "2026A1000000000000001"


def test_rolmre_eau_numeric_rolrec_is_padded():
    assert compose_refdet(Protocol.ROLMRE, rolex="2026", rolrec="5", roldet="1").startswith("202605")


def test_rolmre_rolrec_wins_over_rolnat():
    assert compose_refdet(Protocol.ROLMRE, rolex="2026", rolrec="AB", rolnat="12", roldet="1").startswith("2026AB")


@pytest.mark.parametrize("rolrec", [None, "", "  "])
def test_rolmre_ddpac_uses_rolnat_and_00(rolrec):
    refdet = compose_refdet(Protocol.ROLMRE, rolex="2026", rolrec=rolrec, rolnat="12", roldet="12345")
    assert refdet == "2026" + "12" + "00" + "0000000012345"


def test_rolmre_ddpac_forces_roldeb_00():
    refdet = compose_refdet(Protocol.ROLMRE, rolex="2026", rolnat="07", roldeb="05", roldet="1")
    assert refdet == "2026" + "07" + "00" + "0000000000001"


def test_rolmre_alphanumeric_roldet_of_13_is_kept():
    assert compose_refdet(Protocol.ROLMRE, rolex="2026", rolrec="AB", roldet="ABC0000000001").endswith("ABC0000000001")


@pytest.mark.parametrize(
    ("parts", "part"),
    [
        ({"rolex": "2026", "roldet": "1"}, "rolrec"),
        ({"rolex": "2026", "rolrec": "ÉA", "roldet": "1"}, "rolrec"),
        ({"rolex": "2026", "rolrec": "ABC", "roldet": "1"}, "rolrec"),
        ({"rolex": "2026", "rolrec": "A", "roldet": "1"}, "rolrec"),
        ({"rolex": "2026", "rolrec": "A-", "roldet": "1"}, "rolrec"),
        ({"rolex": "2026", "rolrec": "AB", "roldet": "12345678901234"}, "roldet"),
        ({"rolex": "2026", "rolrec": "AB", "roldet": "ABC"}, "roldet"),
        ({"rolex": "2026", "rolrec": "AB", "roldet": "00000000012é"}, "roldet"),
        ({"rolex": "2026", "rolrec": "AB"}, "roldet"),
        ({"rolex": "2026", "rolrec": "AB", "roldeb": "123", "roldet": "1"}, "roldeb"),
        ({"rolex": "2026", "rolrec": "AB", "roldeb": "A", "roldet": "1"}, "roldeb"),
        ({"rolex": "2026", "rolnat": "1A", "roldet": "1"}, "rolnat"),
        ({"rolex": "26", "rolrec": "AB", "roldet": "1"}, "rolex"),
        ({"rolrec": "AB", "roldet": "1"}, "rolex"),
    ],
)
def test_rolmre_bad_parts_name_the_part(parts, part):
    with pytest.raises(ValueError, match=rf"^{part}: "):
        compose_refdet(Protocol.ROLMRE, **parts)


# --- régie ----------------------------------------------------------------------------


def test_regie_reference():
    assert compose_refdet(Protocol.REGIE, refdet="FAC2026001") == "FAC2026001"
    for bad in ("FAC", "FAC-2026", "A" * 31, "FACTURÉ1"):
        with pytest.raises(ValueError, match=r"^refdet: "):
            compose_refdet(Protocol.REGIE, refdet=bad)


@pytest.mark.parametrize(
    ("protocol", "parts"),
    [
        (Protocol.INDIGO, {"codexer": "2026", "numtitre": "1", "numordre": "1"}),
        (Protocol.PESV2, {"exer": "2026", "idpce": "1", "idligne": "1"}),
        (Protocol.ROLMRE, {"rolex": "2026", "rolnat": "1", "roldet": "1"}),
        (Protocol.REGIE, {"refdet": "ABCDEF"}),
    ],
)
def test_composed_refdet_passes_the_protocol_format(protocol, parts):
    assert is_valid_refdet(protocol, compose_refdet(protocol, **parts))
    assert is_valid_refdet(int(protocol), compose_refdet(int(protocol), **parts))
