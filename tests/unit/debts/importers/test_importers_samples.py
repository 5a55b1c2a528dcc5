"""The sample writers: realistic, deterministic, and what they write parses back."""

from __future__ import annotations

import datetime
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from debts.importers import PARSERS, DebtRecord, indigo, pesv2, rolmre, samples
from tests.unit.debts.importers.importer_helpers import errors, records, run, without_source

# --- generated files ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["indigo", "rolmre", "pesv2"])
def test_same_seed_same_bytes(fmt):
    first, second, other = io.BytesIO(), io.BytesIO(), io.BytesIO()
    samples.write_sample(fmt, first, 300, seed=42, bad_share=0.1)
    samples.write_sample(fmt, second, 300, seed=42, bad_share=0.1)
    samples.write_sample(fmt, other, 300, seed=43, bad_share=0.1)
    assert first.getvalue() == second.getvalue()
    assert first.getvalue() != other.getvalue()


@pytest.mark.parametrize("fmt", ["indigo", "rolmre", "pesv2"])
@pytest.mark.parametrize("encoding", ["iso8859-15", "cp1252", "utf-8"])
@pytest.mark.parametrize("bad_share", [0.0, 0.1])
def test_generated_files_give_the_announced_debts_and_errors(fmt, encoding, bad_share):
    out = io.BytesIO()
    stats = samples.write_sample(fmt, out, 1000, seed=1, bad_share=bad_share, encoding=encoding)
    items = run(PARSERS[fmt], out.getvalue())
    assert stats.records == 1000
    assert stats.bad == round(1000 * bad_share)  # exactly the share asked for
    assert len(records(items)) == stats.debts
    assert len({e.line_no for e in errors(items)}) == stats.bad
    if bad_share == 0:
        assert not errors(items)


def test_generated_files_are_realistic():
    out = io.BytesIO()
    samples.write_indigo(out, 3000, seed=2)
    debts = records(run(indigo.parse, out.getvalue()))
    amounts = [d.amount_cents for d in debts]
    assert any(a < 100 for a in amounts)  # below 1 €
    assert any(a >= 150_000 for a in amounts)  # above TIPI's limit
    assert sum(100 <= a <= 30_000 for a in amounts) > len(amounts) / 2
    text = "".join(d.debtor_name + d.debtor_address for d in debts)
    for letter in "ÉÇŒÈÊÎÔ":
        assert letter in text
    natures = {d.ref_parts["nature_titre"] for d in debts}
    assert natures == {"01", "09", "10", "03"}
    assert any(d.public_body == {"CODEDEBIT": "03"} for d in debts)
    # Grouped titres sum their lines: some debts come from several lines.
    assert any(d.raw.count("\n") >= 1 for d in debts)


def test_generated_pes_covers_every_grouping_case():
    out = io.BytesIO()
    samples.write_pesv2(out, 600, seed=4)
    debts = records(run(pesv2.parse, out.getvalue()))
    per_piece: dict[str, list[DebtRecord]] = {}
    for debt in debts:
        per_piece.setdefault(debt.piece_id, []).append(debt)
    lines = {piece: debts[0].raw.count("<LigneDePiece>") for piece, debts in per_piece.items()}
    mono_multi = [p for p, ds in per_piece.items() if len(ds) == 1 and lines[p] > 1]
    multi_mono = [
        p for p, ds in per_piece.items() if len(ds) > 1 and all(d.raw.count("<LigneDePiece>") == 1 for d in ds)
    ]
    multi_multi = [
        p for p, ds in per_piece.items() if len(ds) > 1 and any(d.raw.count("<LigneDePiece>") > 1 for d in ds)
    ]
    assert mono_multi and multi_mono and multi_multi
    assert any(d.public_body and "IdTiers" in d.public_body for d in debts)


def test_write_sample_rejects_unknown_format():
    with pytest.raises(KeyError):
        samples.write_sample("csv", io.BytesIO(), 1)


# --- round trips: a record written by the writer parses back to itself --------------------

# Real words with accents (the encoding is decided from realistic text, see
# test_importers_encoding) and arbitrary plain ones.
_ACCENTED = (
    "ÉLODIE",
    "FRANÇOIS",
    "LEBŒUF",
    "CŒUR",
    "NOËL",
    "GARÇON",
    "HÉLÈNE",
    "JÉRÔME",
    "ŒUVRE",
    "SŒUR",
    "MÜLLER",
    "CHÂTEAU",
    "FORÊT",
    "AÏCHA",
    "ÉVRARD",
    "DUPRÉ",
    "NÎMES",
    "ÉPINAL",
    "SAÔNE",
    "ÉTÉ",
    "ÇA",
    "L'ŒIL",
    "CRÈCHE",
    "FÊTES",
    "AOÛT",
    "ÎLE",
    "ÉGLISE",
)
_word = st.one_of(st.sampled_from(_ACCENTED), st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8))


def _phrase(max_size: int, min_words: int = 0):
    """Words joined by single spaces, never longer than ``max_size`` (no filtering)."""
    return st.lists(_word, min_size=min_words, max_size=max(min_words, (max_size + 1) // 9)).map(" ".join)


def _address(line_size: int, lines: int, town_size: int):
    street = st.builds(lambda n, words: f"{n} {words}" if n else words, st.integers(0, 999), _phrase(line_size - 4, 1))
    postcode_line = st.builds(lambda cp, town: f"{cp:05d} {town}", st.integers(1000, 98999), _phrase(town_size, 1))
    return st.builds(
        lambda ls, last: "\n".join([*ls, *last]), st.lists(street, max_size=lines), st.lists(postcode_line, max_size=1)
    )


_ascii_ref = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=15)
_years = st.integers(1990, 2099).map(str)
_digits = lambda n: st.integers(0, 10**n - 1).map(lambda v: f"{v:0{n}d}")  # noqa: E731


@st.composite
def indigo_records(draw):
    nature = draw(st.sampled_from(["00", "01", "09", "10", "03"]))
    numordre = draw(_digits(6)) if nature == "03" else "000001"
    label = draw(_phrase(58))
    obj1, obj2 = samples.indigo._split_label(label, 30)
    if len(obj2) > 30:
        label = obj1  # too long for the two zones: keep what fits
    return DebtRecord(
        line_no=0,
        ref_parts={"codexer": draw(_years), "numtitre": draw(_digits(8)), "numordre": numordre, "nature_titre": nature},
        amount_cents=draw(st.integers(1, 10**16 - 1)),
        debtor_ref=draw(_ascii_ref),
        debtor_name=draw(_phrase(32)),
        debtor_address=draw(_address(32, 4, 26)),
        label=label,
        issued_on=None,
        taken_in_charge_on=None,
        raw="",
        public_body=draw(st.one_of(st.none(), _digits(2).map(lambda c: {"CODEDEBIT": c}))),
    )


ENCODINGS = st.sampled_from(["iso8859-15", "cp1252", "utf-8"])
ROUND_TRIP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(
    st.lists(
        indigo_records(), min_size=1, max_size=8, unique_by=lambda r: (r.ref_parts["codexer"], r.ref_parts["numtitre"])
    ),
    ENCODINGS,
)
def test_indigo_round_trip(written, encoding):
    out = io.BytesIO()
    stats = samples.write_indigo(out, written, encoding=encoding, newline="\r\n")
    parsed = run(indigo.parse, out.getvalue())
    assert stats.records == len(written)
    assert [without_source(p) for p in parsed] == [without_source(r) for r in written]
    assert [p.line_no for p in parsed] == list(range(1, len(written) + 1))


@st.composite
def rolmre_records(draw):
    if draw(st.booleans()):  # EAU
        rolrec = draw(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=2))
        roldeb = draw(st.one_of(st.just(""), _digits(2)))
        roltpr = draw(st.sampled_from(["0", "1", "2"]))
    else:  # DDPAC: never a water line (ROLTPR 1), whose ROLREC is mandatory
        rolrec, roldeb = "", ""
        roltpr = draw(st.sampled_from(["0", "2"]))
    roldet = draw(_digits(13))
    return DebtRecord(
        line_no=0,
        ref_parts={
            "rolex": draw(_years),
            "rolrec": rolrec,
            "roldeb": roldeb,
            "roldet": roldet,
            "rolnat": draw(_digits(2)),
        },
        amount_cents=draw(st.integers(1, 10**12 - 1)),
        debtor_ref=draw(_ascii_ref),
        debtor_name=draw(_phrase(32)),
        debtor_address=draw(_address(32, 3, 27)),
        label=rolmre.label_for(roltpr, roldet),
        issued_on=draw(st.one_of(st.none(), st.dates(datetime.date(1990, 1, 1), datetime.date(2099, 12, 31)))),
        taken_in_charge_on=None,
        raw="",
        public_body=None,
    )


@ROUND_TRIP
@given(st.lists(rolmre_records(), min_size=1, max_size=8), ENCODINGS)
def test_rolmre_round_trip(written, encoding):
    out = io.BytesIO()
    samples.write_rolmre(out, written, encoding=encoding)
    parsed = run(rolmre.parse, out.getvalue())
    assert [without_source(p) for p in parsed] == [without_source(r) for r in written]


_xml_text = st.lists(st.one_of(_word, st.sampled_from(["&", "<", ">", '"', "'", "L'ÉCOLE"])), max_size=4).map(" ".join)
_hint_names = st.sampled_from(pesv2.PUBLIC_BODY_FIELDS)


@st.composite
def pes_pieces(draw, idpce):
    exer = draw(_years)
    label = draw(_xml_text)
    issued = draw(st.one_of(st.none(), st.dates(datetime.date(1990, 1, 1), datetime.date(2099, 12, 31))))
    size = draw(st.integers(1, 3))
    ids = ["000001"] if size == 1 else draw(st.lists(_digits(6), min_size=size, max_size=size, unique=True))
    refs = draw(st.lists(_ascii_ref, min_size=size, max_size=size, unique=True))
    if size == 1 and draw(st.booleans()):
        refs = [""]  # a debtor without RefTiers
    return [
        DebtRecord(
            line_no=0,
            ref_parts={"exer": exer, "idpce": f"{idpce:08d}", "idligne": idligne},
            amount_cents=draw(st.integers(1, 10**13)),
            debtor_ref=ref,
            debtor_name=draw(_xml_text),
            debtor_address=draw(_address(38, 3, 38)),
            label=label,
            issued_on=issued,
            taken_in_charge_on=None,
            raw="",
            public_body=draw(st.one_of(st.none(), st.dictionaries(_hint_names, _digits(2), min_size=1))),
            piece_id=f"{idpce:08d}",
        )
        for idligne, ref in zip(ids, refs, strict=True)
    ]


@ROUND_TRIP
@given(
    st.lists(st.integers(0, 10**8 - 1), min_size=1, max_size=5, unique=True).flatmap(
        lambda ids: st.tuples(*(pes_pieces(i) for i in ids))
    ),
    st.sampled_from(["iso-8859-1", "iso8859-15", "cp1252", "utf-8"]),
    st.booleans(),
    st.sampled_from(["prefix", "default", None]),
)
def test_pesv2_round_trip(pieces, encoding, declaration, namespace):
    written = [record for piece in pieces for record in piece]
    out = io.BytesIO()
    stats = samples.write_pesv2(out, written, encoding=encoding, declaration=declaration, namespace=namespace)
    parsed = run(pesv2.parse, out.getvalue())
    assert stats.records == len(pieces)
    assert [without_source(p) for p in parsed] == [without_source(r) for r in written]
    assert [p.line_no for p in parsed] == [n for n, piece in enumerate(pieces, 1) for _ in piece]
