"""Issue 13, item 6: the PES DOCTYPE check bypassed with UTF-7.

The prolog check read the first bytes as ISO-8859-1, while libxml2 then honoured the file's
``encoding="UTF-7"``: a DOCTYPE written in UTF-7 inside what ISO-8859-1 reads as a comment went
past the check, and its internal entity was expanded into a debtor's name. A PES file is now
refused before parsing when it declares (or the staff force) an encoding a PES file may not have,
and libxml2 always reads it in the encoding decided here, never in the one its prolog names.
"""

import base64
import datetime
import io

import pytest

from debts.importers import DebtRecord, ImportFileError, pesv2
from debts.models import Debt, ImportBatch
from debts.services.imports import debts_import, import_batch_create
from tests.factories import TipiClientFactory

BODY = (
    "<PES_Aller><PES_RecetteAller><Bordereau><BlocBordereau><Exer V='2024'/></BlocBordereau><Piece><BlocPiece>"
    "<IdPce V='1'/></BlocPiece><LigneDePiece><BlocLignePiece><InfoLignePiece><IdLigne V='1'/><MtHT V='12.50'/>"
    "</InfoLignePiece></BlocLignePiece><Tiers><InfoTiers><Nom V='&x;'/></InfoTiers></Tiers></LigneDePiece>"
    "</Piece></Bordereau></PES_RecetteAller></PES_Aller>"
)


def utf7_shifted(text: str) -> bytes:
    """``text`` in UTF-7 with every character base64-encoded: no markup byte stays visible."""
    return b"+" + base64.b64encode(text.encode("utf-16-be")).rstrip(b"=") + b"-"


# Read as ISO-8859-1: a declaration, one comment, then PES_Aller. Read as UTF-7: an empty
# comment, a DOCTYPE declaring &x;, another comment, then PES_Aller whose debtor is &x;.
ATTACK = (
    b'<?xml version="1.0" encoding="UTF-7"?><!--'
    + utf7_shifted('--><!DOCTYPE PES_Aller [<!ENTITY x "PWNED">]><!--')
    + b" -->"
    + BODY.encode("ascii")
)


def parsed(data: bytes, **options) -> list:
    return list(pesv2.parse(io.BytesIO(data), **options))


def test_the_utf7_attack_is_what_the_issue_describes():
    text = ATTACK.decode("utf-7")
    assert '<!DOCTYPE PES_Aller [<!ENTITY x "PWNED">]>' in text
    assert b"<!DOCTYPE" not in ATTACK and b"<!ENTITY" not in ATTACK


def test_a_pes_declared_in_utf7_is_refused_before_parsing():
    with pytest.raises(ImportFileError, match="UTF-7") as caught:
        parsed(ATTACK)
    assert "non pris en charge" in caught.value.message
    assert "PWNED" not in caught.value.message


@pytest.mark.parametrize(
    "declared", ["UTF-7", "utf-7", "UNICODE-1-1-UTF-7", "UTF-16", "UTF-32", "ISO-8859-2", "cp037", "EBCDIC-CP-US"]
)
def test_declared_encodings_a_pes_may_not_have_are_refused(declared):
    data = f'<?xml version="1.0" encoding="{declared}"?>'.encode("ascii") + BODY.replace("&x;", "DURAND").encode()
    with pytest.raises(ImportFileError, match="non pris en charge"):
        parsed(data)


def test_an_encoding_forced_by_the_staff_is_held_to_the_same_list():
    data = BODY.replace("&x;", "DURAND").encode()
    for forced in ("utf-7", "cp850", "mac-roman"):
        with pytest.raises(ImportFileError, match="non pris en charge"):
            parsed(data, encoding=forced)
    (record,) = parsed(data, encoding="latin-1")
    assert record.debtor_name == "DURAND"


@pytest.mark.parametrize(
    "data",
    [
        BODY.replace("&x;", "DURAND").encode(),
        b'<?xml version="1.0" encoding="UTF-8"?>' + BODY.replace("&x;", "DURAND").encode(),
        b'<?xml version="1.0" encoding="ISO-8859-1"?>' + BODY.replace("&x;", "DUR\xc9").encode("latin-1"),
        b"\xef\xbb\xbf" + BODY.replace("&x;", "DURAND").encode(),
    ],
)
def test_libxml2_never_switches_to_the_encoding_the_prolog_names(monkeypatch, data):
    """The parser is always told the encoding decided before parsing (never None, which would
    let libxml2 follow the declaration), so no prolog can make it read the file otherwise."""
    given = []
    real_iterparse = pesv2.etree.iterparse

    def spy(source, **options):
        given.append(options.get("encoding"))
        return real_iterparse(source, **options)

    monkeypatch.setattr(pesv2.etree, "iterparse", spy)
    (record,) = parsed(data)
    assert record.debtor_name in ("DURAND", "DURÉ")
    assert given and None not in given, given


def test_a_dtd_the_prolog_check_missed_is_refused_by_the_parser_itself(monkeypatch):
    """Entities off whatever the prolog says: libxml2 expands an internal entity used in an
    attribute even with resolve_entities off, so the parse refuses any DTD it meets."""
    monkeypatch.setattr(pesv2, "check_prolog", lambda stream, forced: None)
    data = b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE PES_Aller [<!ENTITY x "PWNED">]>' + BODY.encode()
    items = pesv2.parse(io.BytesIO(data))
    got = []
    with pytest.raises(ImportFileError, match="DOCTYPE"):
        got.extend(items)
    assert not [item for item in got if isinstance(item, DebtRecord)]


@pytest.mark.django_db
def test_the_import_of_the_attack_fails_and_no_debtor_is_named_by_it(tmp_path, settings):
    settings.IMPORTS_DIR = tmp_path / "imports"
    client = TipiClientFactory(protocol="pesv2")
    path = tmp_path / "titres.xml"
    path.write_bytes(ATTACK)
    batch = import_batch_create(client=client, fmt=client.protocol, path=path, filename=path.name)
    batch = debts_import(batch=batch, today=datetime.date(2026, 11, 22))
    assert batch.state == ImportBatch.State.FAILED
    assert "UTF-7" in batch.fatal_error
    assert not Debt.objects.filter(debtor_name__contains="PWNED").exists()
    assert not Debt.objects.exists()
