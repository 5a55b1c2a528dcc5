"""The citizen reads the reference as printed on the bill; REFDET is only a detail."""

import pytest

from payments.tipi import Protocol, compose_refdet, refdet_as_printed


@pytest.mark.parametrize(
    ("protocol", "parts", "printed"),
    [
        (
            Protocol.INDIGO,
            {"codexer": "2026", "numtitre": "123", "numordre": "1"},
            "Exercice 2026, titre n° 00000123, ordre n° 000001",
        ),
        (
            Protocol.PESV2,
            {"exer": "2025", "idpce": "98765432", "idligne": "12"},
            "Exercice 2025, titre n° 98765432, ordre n° 000012",
        ),
        (
            Protocol.ROLMRE,
            {"rolex": "2026", "rolrec": "AB", "roldet": "8698509103613"},
            "Facture n° 8698509103613 de 2026",
        ),
        (Protocol.REGIE, {"refdet": "CANTINE2026X"}, "CANTINE2026X"),
    ],
)
def test_each_protocol_reads_as_on_its_bill(protocol, parts, printed):
    assert refdet_as_printed(protocol, compose_refdet(protocol, **parts)) == printed


def test_a_refdet_of_another_shape_is_shown_as_it_is():
    assert refdet_as_printed(Protocol.INDIGO, "ABC123") == "ABC123"
