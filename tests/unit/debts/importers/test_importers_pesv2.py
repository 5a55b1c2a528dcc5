"""PES V2 Recette: golden files (prefixed, default namespace, none; three encodings),
the grouping rules of annex 4, bad pieces, XML safety, encodings, streaming."""

from __future__ import annotations

import dataclasses
import datetime
import gc
import io
import tracemalloc

import pytest
from lxml import etree

from debts.importers import DebtRecord, ImportFileError, LineError, pesv2, samples
from tests.unit.debts.importers.importer_helpers import errors, records, run, shape

GOLDEN = ["pesv2_golden_prefix_latin9.xml", "pesv2_golden_default_ns_utf8.xml", "pesv2_golden_plain_cp1252.xml"]

EXPECTED_SHAPE = [
    ("debt", 1, ("2024", "00000101", "000001"), 4250),  # mono-débiteur mono-imputation
    ("debt", 2, ("2024", "00000102", "000001"), 10000 + 1960 + 1005),  # mono multi-imputation, MtHT + MtTVA
    ("debt", 3, ("2024", "00000103", "000001"), 2500),  # multi-débiteur mono-imputation: own IdLigne
    ("debt", 3, ("2024", "00000103", "000002"), 3050),
    ("debt", 3, ("2024", "00000103", "000003"), 160000),
    ("debt", 4, ("2024", "00000104", "000001"), 1000 + 500),  # multi multi: first IdLigne of each debtor
    ("debt", 4, ("2024", "00000104", "000002"), 2000 + 250),
    ("error", 5, "MtHT"),
    ("error", 6, "IdPce"),
    ("error", 7, "IdLigne"),
    ("error", 8, "DteAsp"),
    ("error", 9, "MtHT"),
    ("debt", 9, ("2024", "00000109", "000001"), 800),
    ("error", 10, "MtTVA"),
    ("error", 10, "LigneDePiece"),
    ("error", 11, "MtHT"),
    ("error", 12, "LigneDePiece"),
    ("error", 13, "IdLigne"),
    ("error", 13, "LigneDePiece"),
    ("error", 14, "IdPce"),
    ("error", 15, "Exer"),
    ("error", 16, "TypBord"),
    ("debt", 17, ("2023", "00000401", "000001"), 700),
]

NS = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"


@pytest.fixture(scope="module")
def golden() -> list[DebtRecord | LineError]:
    return run(pesv2.parse, GOLDEN[0])


def test_golden_shape(golden):
    assert shape(golden) == EXPECTED_SHAPE


@pytest.mark.parametrize("name", GOLDEN[1:])
def test_namespaces_and_encodings_give_the_same_debts(golden, name):
    other = run(pesv2.parse, name)
    assert shape(other) == EXPECTED_SHAPE
    # raw differs by the namespace declarations only; everything else is equal.
    assert _without_raw(other) == _without_raw(golden)


def _without_raw(items):
    return [dataclasses.replace(i, raw="") if isinstance(i, DebtRecord) else i for i in items]


def test_mono_debtor_record_field_by_field(golden):
    first = golden[0]
    assert first == DebtRecord(
        line_no=1,
        ref_parts={"exer": "2024", "idpce": "00000101", "idligne": "000001"},
        amount_cents=4250,
        debtor_ref="T101",
        debtor_name="Mme LEBŒUF Élodie",
        debtor_address="12 rue de l'Église\n42000 SAINT-ÉTIENNE",  # the principal address (TypAdr 1)
        label="Cantine scolaire mars 2024",
        issued_on=datetime.date(2024, 3, 5),
        taken_in_charge_on=None,
        raw=first.raw,
        public_body={"CatTiers": "01", "NatJur": "01"},
        piece_id="00000101",
    )
    piece = etree.fromstring(first.raw)
    assert etree.QName(piece).localname == "Piece"
    assert len(piece.findall("{*}LigneDePiece")) == 1


def test_grouped_pieces(golden):
    second = golden[1]
    assert second.debtor_name == "M. GARÇON François"
    assert second.debtor_address == "Résidence Les Érables\n3 avenue Édouard Herriot\n25000 BESANÇON"
    assert second.issued_on == datetime.date(2024, 3, 6)  # AAAAMMJJ accepted too
    public = golden[4]
    assert public.debtor_ref == ""
    assert public.debtor_name == "COMMUNE DE SAINT-ÉTIENNE"
    assert public.debtor_address == "Place de l'Hôtel de Ville\n42000 SAINT-ÉTIENNE"
    assert public.public_body == {"NatIdTiers": "01", "IdTiers": "21420218600011", "CatTiers": "50", "NatJur": "03"}
    assert public.amount_cents == 160000  # above 1 500 €: a debt still, TIPI will refuse the card payment


def test_multi_debtor_raw_holds_the_debtors_own_lines(golden):
    a, b = golden[5], golden[6]
    assert (a.debtor_ref, b.debtor_ref) == ("T104A", "T104B")
    assert a.issued_on == b.issued_on == datetime.date(2024, 3, 1)  # from DteBord
    for record, ids in ((a, ["1", "3"]), (b, ["2", "4"])):
        piece = etree.fromstring(record.raw)
        assert [v.get("V") for v in piece.iterfind(".//{*}IdLigne")] == ids
        assert piece.find(".//{*}IdPce").get("V") == "104"


def test_golden_error_messages(golden):
    found = {(e.line_no, e.field): e for e in errors(golden)}
    assert found[(5, "MtHT")] == LineError(
        5, "MtHT", "12.345", "Ligne de pièce 1 : Montant HT (MtHT) avec plus de deux décimales", "00000105"
    )
    assert found[(6, "IdPce")] == LineError(6, "IdPce", "", "Identifiant de pièce (IdPce) absent", None)
    assert found[(7, "IdLigne")].message == "Ligne de pièce 1 : Numéro de ligne (IdLigne) absent"
    assert found[(8, "DteAsp")].value == "2024-02-30"
    assert found[(9, "MtHT")].message.startswith("Ligne de pièce 2 : Montant HT (MtHT) non numérique")
    assert found[(10, "LigneDePiece")].message == "Pièce non importée : une autre de ses lignes est en erreur"
    assert found[(11, "MtHT")].message == "Ligne de pièce 1 : Montant HT (MtHT) négatif"
    assert found[(12, "LigneDePiece")].message == "Pièce sans ligne (LigneDePiece)"
    assert "en double" in found[(13, "IdLigne")].message
    assert found[(14, "IdPce")].piece_id == "123456789"
    assert found[(15, "Exer")] == LineError(
        15, "Exer", "24", "Exercice du bordereau (Exer) invalide : 4 chiffres attendus (année)", "00000201"
    )
    assert "annulation" in found[(16, "TypBord")].message


def test_label_and_date_fall_back_to_line_and_bordereau(golden):
    last = golden[-1]
    assert last.label == "Fourrière"
    assert last.issued_on == datetime.date(2023, 6, 15)
    assert last.debtor_name == "N'DIAYE"


def test_refdet_composes_with_payments_tipi(golden):
    tipi = pytest.importorskip("payments.tipi")
    refdets = [tipi.compose_refdet(tipi.Protocol.PESV2, **r.ref_parts) for r in records(golden)]
    assert refdets[:3] == ["202400000101000001", "202400000102000001", "202400000103000001"]
    assert all(len(refdet) == 18 and refdet.isdigit() for refdet in refdets)


# --- safety ------------------------------------------------------------------------------

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE PES_Aller [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<PES_Aller><PES_RecetteAller><Bordereau><BlocBordereau><Exer V="2024"/></BlocBordereau>
<Piece><BlocPiece><IdPce V="1"/><ObjPce V="&lol9;"/></BlocPiece><LigneDePiece><BlocLignePiece>
<InfoLignePiece><IdLigne V="1"/><MtHT V="1"/></InfoLignePiece></BlocLignePiece></LigneDePiece></Piece>
</Bordereau></PES_RecetteAller></PES_Aller>
"""


class HugeFile(io.RawIOBase):
    """A seekable 1 GB file that starts with ``head`` and counts the bytes read."""

    SIZE = 1 << 30

    def __init__(self, head: bytes) -> None:
        self.head = head
        self.position = 0
        self.served = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = {0: 0, 1: self.position, 2: self.SIZE}[whence] + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        size = min(len(buffer), self.SIZE - self.position)
        data = (self.head[self.position : self.position + size]).ljust(size, b" ")
        buffer[:size] = data
        self.position += size
        self.served += size
        return size


def test_billion_laughs_is_refused_from_its_first_bytes():
    with pytest.raises(ImportFileError, match="DOCTYPE") as caught:
        run(pesv2.parse, BOMB)
    assert "billion laughs" in caught.value.message
    huge = HugeFile(BOMB)
    with pytest.raises(ImportFileError, match="DOCTYPE"):
        list(pesv2.parse(huge))
    assert huge.served <= 128 * 1024  # of a 1 GB file


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "vide"),
        (b"hello", "pas un XML bien form"),
        (b"<PES_Aller><PES_RecetteAller></PES_Aller>", "pas un XML bien form"),
        (b'<?xml version="1.0"?><Facture/>', "racine est « Facture »"),
        (b"<PES_Aller><PES_DepenseAller><Bordereau/></PES_DepenseAller></PES_Aller>", "aucun bordereau de recette"),
        (b'<!DOCTYPE PES_Aller SYSTEM "http://example.invalid/pes.dtd"><PES_Aller/>', "DOCTYPE"),
        ("<PES_Aller/>".encode("utf-16"), "UTF-16"),
        (b'<?xml version="1.0" encoding="klingon"?><PES_Aller/>', "inconnu"),
    ],
)
def test_files_that_are_not_a_pes_recette_are_refused(data, message):
    with pytest.raises(ImportFileError, match=message):
        run(pesv2.parse, data)


def test_a_broken_file_is_refused_where_it_breaks():
    data = samples_bytes(300)
    end = data.rindex(b"</Piece>")
    data = data[:end] + b"<Tiers>" + data[end:]  # an element left open in the last piece
    items = pesv2.parse(io.BytesIO(data))
    got = []
    with pytest.raises(ImportFileError, match="XML bien formé ligne"):
        got.extend(items)
    assert len(got) >= 250  # what came before the break was read and yielded


# --- encodings ---------------------------------------------------------------------------

PIECE = (
    '<PES_RecetteAller><Bordereau><BlocBordereau><Exer V="2024"/></BlocBordereau><Piece><BlocPiece>'
    '<IdPce V="7"/><ObjPce V="Crèche d’été"/></BlocPiece><LigneDePiece><BlocLignePiece><InfoLignePiece>'
    '<IdLigne V="1"/><MtHT V="9.99"/></InfoLignePiece></BlocLignePiece><Tiers><InfoTiers><Nom V="LEBŒUF"/>'
    "</InfoTiers></Tiers></LigneDePiece></Piece></Bordereau></PES_RecetteAller>"
)


def one(data: bytes, **options) -> DebtRecord:
    (record,) = run(pesv2.parse, data, **options)
    return record


def test_windows_1252_without_declaration():
    record = one(f"<PES_Aller>{PIECE}</PES_Aller>".encode("cp1252"))
    assert (record.debtor_name, record.label) == ("LEBŒUF", "Crèche d’été")


def test_iso_8859_1_declared_but_written_by_windows_is_read_as_cp1252():
    data = f'<?xml version="1.0" encoding="ISO-8859-1"?><PES_Aller>{PIECE}</PES_Aller>'.encode("cp1252")
    assert one(data).debtor_name == "LEBŒUF"


def test_declared_encodings_are_honoured():
    for codec, label in (("utf-8", "UTF-8"), ("iso8859-15", "ISO-8859-15"), ("cp1252", "windows-1252")):
        text = f'<?xml version="1.0" encoding="{label}"?><PES_Aller>{PIECE}</PES_Aller>'
        if codec == "iso8859-15":
            text = text.replace("’", "'")
        assert one(text.encode(codec)).debtor_name == "LEBŒUF", codec
    with_bom = b"\xef\xbb\xbf" + f"<PES_Aller>{PIECE}</PES_Aller>".encode()
    assert one(with_bom).label == "Crèche d’été"


def test_declared_utf8_that_is_not_is_refused():
    data = f'<?xml version="1.0" encoding="UTF-8"?><PES_Aller>{PIECE}</PES_Aller>'.encode("cp1252")
    with pytest.raises(ImportFileError, match="UTF-8"):
        run(pesv2.parse, data)
    assert one(data, encoding="cp1252").debtor_name == "LEBŒUF"  # unless the staff say what it is


def test_undecidable_undeclared_file_is_refused():
    data = f"<PES_Aller>{PIECE}</PES_Aller>".replace("’", "´").encode("latin-1", "replace")
    with pytest.raises(ImportFileError, match="0xB4"):
        run(pesv2.parse, data)


# --- generated files, streaming ------------------------------------------------------------


def samples_bytes(count: int, **options) -> bytes:
    out = io.BytesIO()
    samples.write_pesv2(out, count, seed=3, **options)
    return out.getvalue()


@pytest.mark.parametrize("namespace", ["prefix", "default", None])
@pytest.mark.parametrize(("encoding", "declaration"), [("iso-8859-1", True), ("utf-8", False), ("cp1252", False)])
def test_generated_files_parse_to_the_announced_counts(namespace, encoding, declaration):
    out = io.BytesIO()
    stats = samples.write_pesv2(
        out, 400, seed=8, bad_share=0.1, namespace=namespace, encoding=encoding, declaration=declaration
    )
    items = run(pesv2.parse, out.getvalue())
    assert len(records(items)) == stats.debts
    assert len({e.line_no for e in errors(items)}) == stats.bad == 40
    assert {r.line_no for r in records(items)} | {e.line_no for e in errors(items)} == set(range(1, 401))


def test_pieces_are_freed_as_they_are_read(monkeypatch):
    """The tree never holds more than the piece being read: libxml2's memory is not
    seen by tracemalloc, so the elements left in the tree are counted instead."""
    sizes = []
    real_read_piece = pesv2.read_piece

    def spy(position, piece, bord):
        if position % 100 == 0:
            sizes.append(sum(1 for _ in piece.getroottree().getroot().iter()))
        return real_read_piece(position, piece, bord)

    monkeypatch.setattr(pesv2, "read_piece", spy)
    data = samples_bytes(2000)
    count = 0
    gc.collect()
    tracemalloc.start()
    try:
        items = pesv2.parse(io.BytesIO(data))
        for count, _ in enumerate(items, 1):
            if count == 200:
                before = tracemalloc.take_snapshot()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    # Only what the parser's own code allocated: other threads of a long test session
    # (a browser test's server, a database driver) must not count.
    mine = [tracemalloc.Filter(True, "*debts/importers/*")]
    grown = sum(stat.size_diff for stat in after.filter_traces(mine).compare_to(before.filter_traces(mine), "filename"))
    assert count > 2000
    assert len(sizes) == 20
    # libxml2 builds ahead of the events by one read buffer (some dozens of pieces);
    # a tree kept whole would have more than 4 000 elements at piece 100 already and
    # 80 000 at the end.
    assert max(sizes) < 3000, sizes
    assert grown < 256 * 1024, grown  # and nothing piles up on the Python side


# --- hostile structure (issue 13, item 7; the process's memory: tests/security/test_7_pes_memory.py) ---------

RECETTE_PIECE = (
    '<PES_RecetteAller><Bordereau><BlocBordereau><Exer V="2024"/></BlocBordereau><Piece><BlocPiece><IdPce V="{n}"/>'
    '</BlocPiece><LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="1"/></InfoLignePiece>'
    '</BlocLignePiece><Tiers><InfoTiers><Nom V="N{n}"/></InfoTiers></Tiers></LigneDePiece></Piece>{signature}'
    "</Bordereau></PES_RecetteAller>"
)


def test_every_element_is_freed_whatever_it_is(monkeypatch):
    """Stray elements, text and dépense blocks between the recettes: none is kept once read (an
    attachment block, PES_PJ, comes last and is not parsed: test_importers_pesv2_schema_forms)."""
    sizes = []
    real_read_piece = pesv2.read_piece

    def spy(position, piece, bord):
        sizes.append(sum(1 for _ in piece.getroottree().getroot().iter()))
        return real_read_piece(position, piece, bord)

    monkeypatch.setattr(pesv2, "read_piece", spy)
    junk = "".join(
        f"<Autre><Bloc>{'QUJD' * 50_000}</Bloc>{'<X/>' * 50_000}</Autre>"
        f"<PES_DepenseAller><Bordereau>{'<Y><Z/></Y>' * 50_000}</Bordereau></PES_DepenseAller>"
        + RECETTE_PIECE.format(n=n, signature="")
        for n in range(1, 9)
    )
    data = f"<PES_Aller><EnTetePES>{'<W/>' * 50_000}</EnTetePES>{junk}</PES_Aller>".encode()
    assert len(data) > 6_000_000
    gc.collect()
    tracemalloc.start()
    try:
        items = pesv2.parse(io.BytesIO(data))
        first = next(items)
        before = tracemalloc.take_snapshot()
        rest = list(items)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    mine = [tracemalloc.Filter(True, "*debts/importers/*")]
    grown = sum(stat.size_diff for stat in after.filter_traces(mine).compare_to(before.filter_traces(mine), "filename"))
    assert [item.debtor_name for item in [first, *rest]] == [f"N{n}" for n in range(1, 9)]
    # Before: 100,000 to 800,000 elements still in the tree at each piece.
    assert max(sizes) < 100, sizes
    assert grown < 256 * 1024, grown


def test_a_signed_bordereau_is_read():
    """A XAdES signature sits in the Bordereau, 12 levels deep: PES, not a stray element."""
    signature = (
        '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:Reference URI="">'
        "<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:Object><xad:QualifyingProperties "
        'xmlns:xad="http://uri.etsi.org/01903/v1.3.2#"><xad:SignedProperties><xad:SignedSignatureProperties>'
        "<xad:SigningCertificate><xad:Cert><xad:CertDigest><ds:DigestMethod/></xad:CertDigest></xad:Cert>"
        "</xad:SigningCertificate></xad:SignedSignatureProperties></xad:SignedProperties></xad:QualifyingProperties>"
        "</ds:Object></ds:Signature>"
    )
    data = f"<PES_Aller>{RECETTE_PIECE.format(n=1, signature=signature)}</PES_Aller>".encode()
    (record,) = run(pesv2.parse, data)
    assert record.debtor_name == "N1"


def test_a_big_real_piece_is_still_read():
    """5,000 debtors in one piece (100,000 elements): half the bound."""
    line = (
        '<LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V="{i}"/><MtHT V="10.00"/></InfoLignePiece>'
        '</BlocLignePiece><Tiers><InfoTiers><RefTiers V="D{i}"/><Nom V="NOM {i}"/></InfoTiers><Adresse>'
        '<Adr1 V="1 RUE DE LA PAIX"/><CP V="80000"/><Ville V="AMIENS"/></Adresse></Tiers></LigneDePiece>'
    )
    lines = "".join(line.format(i=i) for i in range(1, 5001))
    data = (
        '<PES_Aller><PES_RecetteAller><Bordereau><BlocBordereau><Exer V="2024"/></BlocBordereau><Piece><BlocPiece>'
        f'<IdPce V="7"/></BlocPiece>{lines}</Piece></Bordereau></PES_RecetteAller></PES_Aller>'
    ).encode()
    got = records(run(pesv2.parse, data))
    assert len(got) == 5000 and got[-1].debtor_name == "NOM 5000"
