"""Régie CSV invoices through the batch pipeline of the other formats (debts_import): complete and
partial modes, dry run and confirmation, the invoice number kept beside its REFDET, duplicates and
conflicts, debtor references with access codes. Runs on SQLite and on PostgreSQL (binary COPY)."""

import datetime

import pytest

from debts.importers.regie_csv import COLUMNS
from debts.models import Debt, DebtorReference, ImportBatch
from debts.services.imports import ImportRefused, debts_import, import_batch_confirm, import_batch_create
from payments.tipi import regie_refdet
from tests.factories import RegieClientFactory, TipiClientFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 2)


def invoice(number: str, amount: str = "42,50", family: str = "FAM001", **extra: str) -> str:
    values = {
        "numero_facture": number,
        "reference_debiteur": family,
        "nom": "Lefèvre Marie",
        "adresse": '"12 rue des Lilas\n75011 Paris"',
        "objet": "Cantine novembre 2026",
        "montant": amount,
        "date_emission": "01/12/2026",
        "date_echeance": "31/12/2026",
        **extra,
    }
    return ";".join(values[name] for name in COLUMNS)


def write(tmp_path, lines, name="factures.csv", encoding="cp1252"):
    path = tmp_path / name
    path.write_bytes(("\r\n".join([";".join(COLUMNS), *lines]) + "\r\n").encode(encoding))
    return path


def run(client, path, **kwargs):
    batch = import_batch_create(
        client=client, fmt=ImportBatch.format_for(client), path=path, filename=path.name, **kwargs
    )
    return debts_import(batch=batch, today=TODAY)


@pytest.fixture(autouse=True)
def imports_dir(settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path / "imports"


@pytest.fixture
def canteen():
    return RegieClientFactory(label="Régie cantine", online_delay_days=60)


def test_invoices_are_imported_with_their_number_kept_beside_the_refdet(canteen, tmp_path):
    batch = run(canteen, write(tmp_path, [invoice("FAC-2026/001"), invoice("F2026002", "7,00", "FAM002")]))
    assert (batch.fmt, batch.state, batch.imported, batch.rejected, batch.records_read) == ("regie", "done", 2, 0, 2)
    derived = Debt.objects.get(invoice_reference="FAC-2026/001")
    assert derived.refdet == regie_refdet("FAC-2026/001") == "FAC2026001NYY7JOMUROUOO"
    assert derived.shown_reference == "FAC-2026/001" and str(derived) == "FAC-2026/001"
    kept = Debt.objects.get(invoice_reference="F2026002")
    assert kept.refdet == "F2026002" and kept.amount_cents == 700
    assert (derived.amount_cents, derived.debtor_name, derived.debtor_address, derived.label) == (
        4250,
        "Lefèvre Marie",
        "12 rue des Lilas\n75011 Paris",
        "Cantine novembre 2026",
    )
    assert (derived.issued_on, derived.due_on) == (datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))
    assert derived.online_from == TODAY + datetime.timedelta(days=1)
    assert derived.online_until == derived.online_from + datetime.timedelta(days=60)
    assert derived.ref_parts == {"invoice": "FAC-2026/001"} and derived.raw_record.startswith("FAC-2026/001;FAM001")
    # The families get their debtor reference and its access code, as for titres.
    assert sorted(DebtorReference.objects.values_list("reference", flat=True)) == ["FAM001", "FAM002"]
    assert len(derived.debtor.access_code) == 10


def test_complete_mode_imports_nothing_and_reports_every_bad_line_with_its_number(canteen, tmp_path):
    lines = [invoice("F2026001"), invoice("F2026002", "12,345"), invoice("F2026003", date_echeance="01/11/2026")]
    batch = run(canteen, write(tmp_path, lines), mode="complete")
    assert (batch.state, batch.imported, batch.rejected) == ("rejected", 0, 2)
    assert [(i.line_no, i.field) for i in batch.issues.order_by("line_no")] == [(4, "montant"), (6, "date_echeance")]
    assert not Debt.objects.exists()


def test_partial_mode_imports_the_good_lines(canteen, tmp_path):
    lines = [invoice("F2026001"), invoice("F2026002", "gratuit"), invoice("F2026003", "3,10")]
    batch = run(canteen, write(tmp_path, lines), mode="partial")
    assert (batch.state, batch.imported, batch.rejected) == ("done", 2, 1)
    assert sorted(Debt.objects.values_list("invoice_reference", flat=True)) == ["F2026001", "F2026003"]


def test_dry_run_writes_nothing_then_the_confirmation_imports(canteen, tmp_path):
    dry_run = run(canteen, write(tmp_path, [invoice("FAC-1"), invoice("FAC-2")]), dry_run=True)
    assert (dry_run.state, dry_run.imported) == ("done", 2)
    assert not Debt.objects.exists()
    real = debts_import(batch=import_batch_confirm(dry_run_batch=dry_run), today=TODAY)
    assert (real.state, real.imported) == ("done", 2)
    assert set(Debt.objects.values_list("invoice_reference", flat=True)) == {"FAC-1", "FAC-2"}


def test_the_same_invoice_twice_in_a_file_and_again_in_a_later_file(canteen, tmp_path):
    lines = [invoice("FAC-1"), invoice("FAC-1"), invoice("FAC-1", "99,00")]
    batch = run(canteen, write(tmp_path, lines), mode="partial")
    assert (batch.imported, batch.identical) == (1, 1)
    [duplicate] = batch.issues.all()
    assert (duplicate.kind, duplicate.line_no) == ("duplicate", 6)
    # A later file: the same invoice unchanged is skipped, changed is a conflict, never overwritten.
    same = run(canteen, write(tmp_path, [invoice("FAC-1 "), invoice("FAC-2")], name="b.csv"), mode="partial")
    assert (same.imported, same.identical, same.rejected) == (1, 1, 0)
    changed = run(canteen, write(tmp_path, [invoice("FAC-1", "10,00")], name="c.csv"), mode="partial")
    assert (changed.imported, changed.rejected) == (0, 1)
    assert changed.issues.get().kind == "conflict"
    assert Debt.objects.get(invoice_reference="FAC-1").amount_cents == 4250


def test_an_invoice_number_is_unique_per_client_not_across_clients(canteen, tmp_path):
    other = RegieClientFactory(label="Régie crèche")
    run(canteen, write(tmp_path, [invoice("FAC-1")]))
    run(other, write(tmp_path, [invoice("FAC-1", "5,00")], name="creche.csv"))
    assert Debt.objects.filter(invoice_reference="FAC-1").count() == 2


def test_a_titre_client_is_refused_a_regie_file_and_the_reverse(canteen, tmp_path):
    path = write(tmp_path, [invoice("FAC-1")])
    titres = TipiClientFactory(protocol="indigo")
    with pytest.raises(ImportRefused, match="un fichier Régie ne peut pas lui être destiné"):
        import_batch_create(client=titres, fmt="regie", path=path, filename="f.csv")
    with pytest.raises(ImportRefused, match="un fichier INDIGO ne peut pas lui être destiné"):
        import_batch_create(client=canteen, fmt="indigo", path=path, filename="f.csv")


def test_a_file_that_is_not_a_regie_csv_fails_with_its_french_message(canteen, tmp_path):
    path = tmp_path / "titres.txt"
    path.write_bytes(b"0" * 452 + b"\r\n")
    batch = run(canteen, path)
    assert batch.state == "failed" and "n'est pas un fichier de factures de régie" in batch.fatal_error
