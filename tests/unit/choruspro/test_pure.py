"""Chorus Pro, pure parts: public-body hints and SIRET, the invoice PDF, exact JSON amounts."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from pypdf import PdfReader

from choruspro.client import dumps_exact
from choruspro.invoice_pdf import InvoiceDocument, InvoiceLine, euros_text, invoice_pdf
from choruspro.public_body_codes import hints_from_raw, public_body_hint, siret_clean
from debts.importers import DebtRecord, parse
from tests import paths

DATA = paths.DATA / "choruspro"


def test_siret_is_checked_with_its_key():
    assert siret_clean("194 200 127 00018") == "19420012700018"
    with pytest.raises(ValueError, match="n'est pas un SIRET valide"):
        siret_clean("19420012700019")
    with pytest.raises(ValueError, match="obligatoire"):
        siret_clean("  ")


@pytest.mark.parametrize(
    ("hints", "siret", "public"),
    [
        ({"NatIdTiers": "01", "IdTiers": "19420012700018", "CatTiers": "28"}, "19420012700018", True),
        ({"CatTiers": "23"}, "", True),
        ({"NatJur": "07"}, "", True),
        ({"NatJur": "8"}, "", True),
        ({"CODEDEBIT": "08"}, "", True),
        ({"NatIdTiers": "01", "IdTiers": "19420012700018", "CatTiers": "50", "NatJur": "03"}, "", False),
        ({"CatTiers": "01", "NatJur": "01"}, "", False),
        ({"CODEDEBIT": "03"}, "", False),
        ({"NatIdTiers": "02", "IdTiers": "194200127", "CatTiers": "21"}, "", True),  # a SIREN, not a SIRET
        (None, "", False),
    ],
)
def test_public_body_hints(hints, siret, public):
    hint = public_body_hint(hints)
    assert (hint is not None) == public
    if hint:
        assert hint.siret == siret


def test_invalid_siret_in_idtiers_is_said_not_kept():
    hint = public_body_hint({"NatIdTiers": "01", "IdTiers": "21880383100010", "CatTiers": "23"})
    assert hint.siret == ""
    assert "n'est pas un SIRET valide" in hint.reason


@pytest.mark.parametrize(
    ("fmt", "name"), [("indigo", "indigo-organismes-publics.txt"), ("pesv2", "pesv2-organismes-publics.xml")]
)
def test_hints_read_back_from_raw_records_agree_with_the_importers(fmt, name):
    """The raw record kept with each debt carries the same hints the importer saw."""
    with (DATA / name).open("rb") as handle:
        records = [item for item in parse(fmt, handle) if isinstance(item, DebtRecord)]
    assert len(records) == 3
    for record in records:
        from_raw = public_body_hint(hints_from_raw(fmt, record.raw))
        from_parser = public_body_hint(record.public_body)
        assert from_raw == from_parser
    assert [bool(public_body_hint(r.public_body)) for r in records] == [True, False, fmt == "pesv2"]


def test_no_hints_in_rolmre_or_garbage():
    assert hints_from_raw("rolmre", "x" * 400) is None
    assert hints_from_raw("pesv2", "<not xml") is None
    assert hints_from_raw("pesv2", '<!DOCTYPE x [<!ENTITY a "b">]><Piece>&a;</Piece>') is None
    assert hints_from_raw("indigo", "") is None


def test_amounts_are_written_exactly():
    text = dumps_exact({"montant": Decimal("1842.50"), "zero": Decimal("0.00"), "liste": [Decimal("0.1")]})
    assert text == '{"montant": 1842.50, "zero": 0.00, "liste": [0.1]}'
    assert json.loads(text, parse_float=Decimal)["montant"] == Decimal("1842.50")
    with pytest.raises(TypeError):
        dumps_exact({"montant": 18.425})


def test_euros_text_uses_integer_cents():
    assert euros_text(184250) == "1\u00a0842,50\u00a0€"
    assert euros_text(5) == "0,05\u00a0€"
    euros_text(123456789).encode("cp1252")  # what the PDF's standard fonts can draw


def test_invoice_pdf_is_a_real_pdf_with_the_legal_mentions():
    document = InvoiceDocument(
        number="CPP2026-000123",
        date=datetime.date(2026, 3, 2),
        due_date=datetime.date(2026, 4, 1),
        supplier_name="COMMUNE DE DÉMO",
        supplier_address="1 place de la Mairie\n99000 DÉMO",
        supplier_siret="21990001600011",
        customer_name="COLLÈGE JEAN MOULIN",
        customer_address="2 rue des Écoles\n42000 SAINT-ÉTIENNE",
        customer_siret="19420012700018",
        lines=(InvoiceLine("Restauration scolaire – mars (œufs, crème)", "202600000123000001", 1, 184_250),),
        service_code="INTENDANCE",
        engagement_number="EJ-2026-000123",
        debt_reference="202600000123000001",
        iban="FR76 3000 1000 6400 0000 0000 012",
        bic="BDFEFRPPCCT",
        bank_label="Trésorerie de Démo",
    )
    pdf = invoice_pdf(document)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    text = " ".join(page.extract_text() for page in reader.pages)
    for expected in (
        "FACTURE",
        "CPP2026-000123",
        "02/03/2026",
        "01/04/2026",
        "21990001600011",
        "19420012700018",
        "COMMUNE DE DÉMO",
        "COLLÈGE JEAN MOULIN",
        "INTENDANCE",
        "EJ-2026-000123",
        "Total HT",
        "TVA",
        "Total TTC",
        "842,50",
        "article 256 B",
        "FR76 3000",
        "BDFEFRPPCCT",
        "Restauration scolaire",
        "œufs",
    ):
        assert expected in text, expected
    assert reader.metadata.title == "Facture CPP2026-000123"
