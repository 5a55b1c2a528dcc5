"""tipiportal.search's Python folding (SQLite's unaccent and the typed side)."""

import pytest

from tipiportal.search import folded, unaccent


@pytest.mark.parametrize(
    ("text", "expected"),
    [("NOËL", "NOEL"), ("LEFÈVRE", "LEFEVRE"), ("Œuvray", "OEuvray"), ("Ærø", "AEro"), ("ça", "ca")],
)
def test_unaccent_removes_what_postgresql_unaccent_removes(text, expected):
    assert unaccent(text) == expected


def test_unaccent_keeps_null():
    assert unaccent(None) is None


def test_folded_is_without_accents_in_capitals():
    assert folded("Noël Lefèvre-Œuvray") == "NOEL LEFEVRE-OEUVRAY"
