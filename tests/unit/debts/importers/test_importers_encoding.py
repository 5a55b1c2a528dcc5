"""Encoding decision: right when the bytes tell, refused when they do not."""

from __future__ import annotations

import codecs
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from debts.importers import ImportFileError, encoding
from debts.importers.encoding import check_codec, detect_encoding, rewindable
from tests.unit.debts.importers.importer_helpers import OneWay


def detect(data: bytes) -> str:
    return detect_encoding(io.BytesIO(data))


def test_ascii_and_utf8():
    assert detect(b"DUPONT JEAN\n") == "utf-8"
    assert detect("LEBŒUF ÉLODIE GARÇON\n".encode()) == "utf-8"
    assert detect(codecs.BOM_UTF8 + "ÉCOLE".encode()) == "utf-8-sig"
    assert detect(b"") == "utf-8"


@pytest.mark.parametrize("text", ["LEBŒUF", "SŒUR", "ŒUVRE DE L'ÉCOLE", "Œ", "CŒUR Ÿ", "12 €", "L’ÉCOLE"])
def test_cp1252_bytes_0x80_0x9f_mean_cp1252(text):
    data = text.encode("cp1252")
    assert detect(data) == "cp1252"
    assert data.decode(detect(data)) == text


@pytest.mark.parametrize("text", ["LEBŒUF ÉLODIE", "SŒUR", "ŒUVRE", "BŒUF\n", "le cœur", "NAŸ"])
def test_latin9_letters_next_to_letters_mean_latin9(text):
    data = text.encode("iso8859-15")
    assert detect(data) == "iso8859-15"
    assert data.decode(detect(data)) == text


def test_accents_common_to_the_three_code_pages_read_the_same():
    data = "ÉLODIE GARÇON, RUE DE L'ÉGLISE, NÎMES".encode("latin-1")
    codec = detect(data)
    assert data.decode(codec) == "ÉLODIE GARÇON, RUE DE L'ÉGLISE, NÎMES"


def test_fractions_next_to_digits_mean_latin1():
    data = "12½ RUE DE LA GARE, ¼ DE PART".encode("latin-1")
    assert detect(data) == "cp1252"
    assert data.decode("cp1252") == "12½ RUE DE LA GARE, ¼ DE PART"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("D´ARTAGNAN".encode("latin-1"), "0xB4"),  # ´ as apostrophe, or Ž?
        ("CŒUR ".encode("iso8859-15") + "12½".encode("latin-1"), "indécidable"),
        ("CŒUR".encode("iso8859-15") + " L’ÉCOLE".encode("cp1252"), "incohérent"),
        (b"R\x82SIDENCE", "DOS"),  # CP850 é
        (b"\x90COLE", "0x90"),  # CP850 É, undefined in cp1252
        (b"ABC\x00DEF", "octets nuls"),
        ("ÉCOLE".encode("utf-16"), "UTF-16"),
        (codecs.BOM_UTF8 + "ÉCOLE".encode("latin-1"), "UTF-8"),
    ],
)
def test_undecidable_or_unsupported_files_are_refused(data, message):
    with pytest.raises(ImportFileError) as caught:
        detect(data)
    assert message in caught.value.message


def test_evidence_across_chunk_boundaries(monkeypatch):
    monkeypatch.setattr(encoding, "CHUNK_SIZE", 3)
    text = "AB CŒUR ŒUVRE SŒ\nŒ" + "X" * 7 + "Œ"
    data = text.replace("\nŒ", "\nŒU").encode("iso8859-15")
    for cut in range(1, 8):
        shifted = b"Z" * cut + data
        assert detect(shifted) == "iso8859-15", cut
    # An interesting byte alone at the very end: judged against the end of file.
    assert detect("12 ½".encode("latin-1")) == "cp1252"
    assert detect("CŒ".encode("iso8859-15")) == "iso8859-15"


def test_detection_leaves_the_stream_where_it_was():
    stream = io.BytesIO(b"HEAD" + "ÉCOLE".encode("cp1252"))
    stream.seek(4)
    assert detect_encoding(stream) == "iso8859-15"
    assert stream.tell() == 4


def test_check_codec():
    assert check_codec("latin-1") == "iso8859-1"
    assert check_codec("Windows-1252") == "cp1252"
    with pytest.raises(ImportFileError, match="Encodage inconnu"):
        check_codec("klingon")
    with pytest.raises(ImportFileError, match="non pris en charge"):
        check_codec("utf-16")


@pytest.mark.parametrize("name", ["utf-7", "UNICODE-1-1-UTF-7"])
def test_check_codec_refuses_utf7_where_plus_starts_base64(name):
    """UTF-7 keeps "<", "A", "9", " " and newlines but not "+": "+ADw-" is "<", so markup and
    positions would no longer be found byte-wise."""
    with pytest.raises(ImportFileError, match="non pris en charge"):
        check_codec(name)


def test_rewindable_spools_a_one_way_stream():
    with rewindable(OneWay(b"abc" * 1000)) as stream:
        assert stream.seekable()
        assert stream.read() == b"abc" * 1000
    seekable = io.BytesIO(b"x")
    assert rewindable(seekable) is seekable


# Realistic French text: real words with their accents (Œ and œ inside words, ’ in
# elisions), plain words, numbers (possibly followed by ½ or €), punctuation.
_VOCABULARY = (
    "ÉCOLE",
    "école",
    "ŒUVRE",
    "œuvre",
    "CŒUR",
    "cœur",
    "SŒUR",
    "BŒUF",
    "LEBŒUF",
    "GARÇON",
    "FRANÇOIS",
    "NOËL",
    "HÉLÈNE",
    "ÉLODIE",
    "CHÂTEAU",
    "FORÊT",
    "NÎMES",
    "BESANÇON",
    "L'ÉGLISE",
    "AÏCHA",
    "MÜLLER",
    "ÉTÉ",
    "crèche",
    "périscolaire",
    "L’ÉCOLE",
    "d’eau",
    "SAINT-ÉTIENNE",
    "ÇA",
    "À",
    "DÉJÀ",
    "L'HAŸ-LES-ROSES",
    "ÉVRARD",
    "DUPRÉ",
    "JÉRÔME",
    "CHLOÉ",
    "MAËLLE",
    "ŒDIPE",
    "FŒHN",
    "FÊTES",
    "CIMETIÈRE",
    "QU’À",
    "AOÛT",
    "ÎLE",
)
_ASCII_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_words = st.one_of(st.sampled_from(_VOCABULARY), st.text(alphabet=_ASCII_LETTERS, min_size=1, max_size=8))
_numbers = st.builds(lambda n, tail: f"{n}{tail}", st.integers(0, 999), st.sampled_from(["", "½", " €", "€"]))
_separators = st.sampled_from([" ", ", ", "-", "\n", " : ", "\r\n", "  "])
_french = st.lists(st.tuples(st.one_of(_words, _words, _numbers), _separators), min_size=1, max_size=30).map(
    lambda parts: "".join(word + sep for word, sep in parts)
)


@given(text=_french, codec=st.sampled_from(["utf-8", "cp1252", "iso8859-15", "latin-1"]))
def test_reads_realistic_text_right_in_every_code_page(text, codec):
    """Whatever the code page, the decision reads such text back exactly."""
    try:
        data = text.encode(codec)
    except UnicodeEncodeError:
        return  # the text has a character this code page lacks (Œ in ISO-8859-1, ’ in ISO-8859-15)
    assert data.decode(detect(data)) == text
