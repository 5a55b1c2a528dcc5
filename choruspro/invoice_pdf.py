"""The invoice PDF deposited on Chorus Pro, drawn with ReportLab (no Django).

It carries what an invoice must say: who bills (name, address, SIRET) and whom (name, address,
SIRET, service code, engagement number), a unique number and its date, the lines (designation,
quantity, unit price, amount), the totals before tax, tax and all taxes included with the VAT
mention, the due date and the payment details (bank account).
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from tipiportal.money import NBSP, format_euros

__all__ = ["InvoiceDocument", "InvoiceLine", "euros_text", "invoice_pdf"]


def euros_text(cents: int) -> str:
    """1234567 → "12 345,67 €", grouped with U+00A0: the standard fonts have no U+202F."""
    return format_euros(cents, thousands=NBSP)


@dataclass(frozen=True)
class InvoiceLine:
    designation: str
    reference: str
    quantity: int
    unit_cents: int

    @property
    def amount_cents(self) -> int:
        return self.quantity * self.unit_cents


@dataclass(frozen=True)
class InvoiceDocument:
    number: str
    date: datetime.date
    due_date: datetime.date
    supplier_name: str
    supplier_address: str
    supplier_siret: str
    customer_name: str
    customer_address: str
    customer_siret: str
    lines: tuple[InvoiceLine, ...]
    vat_cents: int = 0
    vat_mention: str = "TVA non applicable – article 256 B du code général des impôts"
    service_code: str = ""
    engagement_number: str = ""
    debt_reference: str = ""
    iban: str = ""
    bic: str = ""
    bank_label: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total_ht_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    @property
    def total_ttc_cents(self) -> int:
        return self.total_ht_cents + self.vat_cents


def _para(text: str, style) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def invoice_pdf(document: InvoiceDocument) -> bytes:
    """The invoice as PDF bytes (A4, one page for a few lines)."""
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Facture {document.number}",
        author=document.supplier_name,
        subject="Facture",
        creator="Portail de paiement – Chorus Pro",
    )
    styles = getSampleStyleSheet()
    normal = styles["Normal"]
    small = ParagraphStyle("small", parent=normal, fontSize=8, leading=10)
    title = ParagraphStyle("title", parent=styles["Title"], alignment=0)

    supplier = "\n".join([document.supplier_name, document.supplier_address, f"SIRET : {document.supplier_siret}"])
    customer_lines = [document.customer_name, document.customer_address, f"SIRET : {document.customer_siret}"]
    if document.service_code:
        customer_lines.append(f"Code service : {document.service_code}")
    if document.engagement_number:
        customer_lines.append(f"N° d'engagement : {document.engagement_number}")
    header = Table(
        [
            [_para("Émetteur", styles["Heading4"]), _para("Destinataire", styles["Heading4"])],
            [_para(supplier, normal), _para("\n".join(line for line in customer_lines if line), normal)],
        ],
        colWidths=[87 * mm, 87 * mm],
    )
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))

    facts = [
        f"Facture n° {document.number}",
        f"Date de facture : {document.date:%d/%m/%Y}",
        f"Date d'échéance : {document.due_date:%d/%m/%Y}",
    ]
    if document.debt_reference:
        facts.append(f"Référence du titre : {document.debt_reference}")

    rows = [["Désignation", "Référence", "Qté", "Prix unitaire HT", "Montant HT"]]
    for line in document.lines:
        rows.append(
            [
                _para(line.designation, normal),
                line.reference,
                str(line.quantity),
                euros_text(line.unit_cents),
                euros_text(line.amount_cents),
            ]
        )
    lines = Table(rows, colWidths=[70 * mm, 38 * mm, 12 * mm, 28 * mm, 26 * mm], repeatRows=1)
    lines.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )

    totals = Table(
        [
            ["Total HT", euros_text(document.total_ht_cents)],
            ["TVA", euros_text(document.vat_cents)],
            ["Total TTC", euros_text(document.total_ttc_cents)],
            ["Net à payer", euros_text(document.total_ttc_cents)],
        ],
        colWidths=[40 * mm, 30 * mm],
        hAlign="RIGHT",
    )
    totals.setStyle(
        TableStyle(
            [
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, 3), (-1, 3), 0.8, colors.black),
                ("FONTNAME", (0, 3), (-1, 3), "Helvetica-Bold"),
            ]
        )
    )

    payment = ["Paiement par virement au comptable public."]
    if document.bank_label:
        payment.append(f"Compte : {document.bank_label}")
    if document.iban:
        payment.append(f"IBAN : {document.iban}" + (f" – BIC : {document.bic}" if document.bic else ""))
    story = [
        _para("FACTURE", title),
        header,
        Spacer(1, 6 * mm),
        _para("\n".join(facts), normal),
        Spacer(1, 5 * mm),
        lines,
        Spacer(1, 4 * mm),
        totals,
        Spacer(1, 3 * mm),
        _para(document.vat_mention, small),
        Spacer(1, 5 * mm),
        _para("\n".join(payment), normal),
    ]
    for note in document.notes:
        story += [Spacer(1, 2 * mm), _para(note, small)]
    pdf.build(story)
    return buffer.getvalue()
