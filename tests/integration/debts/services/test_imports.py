"""debts_import: staging, complete vs partial, dry run, duplicates, conflicts, online dates."""

import datetime

import pytest

from debts.importers import indigo, rolmre
from debts.models import Debt, DebtorReference, ImportBatch, StagedDebt
from debts.services.imports import ImportRefused, debts_import, import_batch_confirm, import_batch_create
from tests.factories import RolmreClientFactory, TipiClientFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 22)


def rolmre_line(roldet: str, total_cents: int, name: str = "Daniel Carpon", rolcli: str = "CLI0001", **extra) -> str:
    values = {
        "ROLMVT": "1",
        "ROLCOL": "01",
        "ROLNAT": "01",
        "ROLEX": "2026",
        "ROLPER": "1",
        "ROLDET": roldet,
        "ROLREC": "EA",
        "ROLDAT": "20261115",
        "ROLTOT": str(total_cents),
        "ROLNOM": name,
        "ROLADR": "14 RUE PHILIPPE LESOIN",
        "ROLCP": "80000",
        "ROLLOC": "AMIENS",
        "ROLCLI": rolcli,
        "ROLDEB": "00",
        "ROLTPR": "1",
        "ROLVER": "2",
    }
    values.update(extra)
    return rolmre.LAYOUT.build(values)


def write(tmp_path, lines: list[str], name="eau.txt", encoding="iso-8859-15") -> object:
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def run(client, path, **kwargs):
    batch = import_batch_create(client=client, fmt=client.protocol, path=path, filename=path.name, **kwargs)
    return debts_import(batch=batch, today=TODAY)


@pytest.fixture
def water():
    return RolmreClientFactory(code_recette="EA", online_delay_days=30)


def test_good_file_imports_every_debt_with_online_dates_and_access_codes(water, tmp_path):
    lines = [rolmre_line("0000000000001", 3808, "Élodie Œuvray"), rolmre_line("0000000000002", 12050, rolcli="CLI0002")]
    batch = run(water, write(tmp_path, lines))
    assert (batch.state, batch.imported, batch.rejected, batch.records_read) == ("done", 2, 0, 2)
    debt = Debt.objects.get(refdet="2026EA000000000000001")
    assert debt.amount_cents == 3808
    assert debt.debtor_name == "Élodie Œuvray"
    assert debt.debtor_ref == "CLI0001" and debt.debtor.reference == "CLI0001"
    assert len(debt.debtor.access_code) == 10
    assert debt.online_from == TODAY + datetime.timedelta(days=1)
    assert debt.online_until == debt.online_from + datetime.timedelta(days=30)
    assert debt.batch == batch and debt.raw_record
    assert DebtorReference.objects.count() == 2
    assert not StagedDebt.objects.exists()


def test_complete_mode_imports_nothing_when_a_line_is_bad(water, tmp_path):
    lines = [rolmre_line("0000000000001", 3808), rolmre_line("0000000000002", 1000, ROLTOT="12A4")]
    batch = run(water, write(tmp_path, lines), mode="complete")
    assert batch.state == ImportBatch.State.REJECTED
    assert batch.imported == 0 and batch.rejected >= 1
    issue = batch.issues.get()
    assert issue.line_no == 2 and issue.field == "ROLTOT" and issue.message
    assert not Debt.objects.exists()


def test_partial_mode_keeps_the_good_lines(water, tmp_path):
    lines = [rolmre_line("0000000000001", 3808), rolmre_line("0000000000002", 1000, ROLTOT="12A4")]
    batch = run(water, write(tmp_path, lines), mode="partial")
    assert (batch.state, batch.imported, batch.rejected) == ("done", 1, 1)
    assert list(Debt.objects.values_list("refdet", flat=True)) == ["2026EA000000000000001"]


def test_dry_run_reports_without_writing_then_confirm_imports(water, tmp_path):
    path = write(tmp_path, [rolmre_line("0000000000001", 3808)])
    dry = run(water, path, dry_run=True)
    # A dry run counts what the real import would add, and writes nothing.
    assert (dry.state, dry.imported, dry.records_read) == ("done", 1, 1)
    assert not Debt.objects.exists()
    real = debts_import(batch=import_batch_confirm(dry_run_batch=dry), today=TODAY)
    assert (real.state, real.imported) == ("done", 1)


def test_same_file_is_refused_the_second_time(water, tmp_path):
    path = write(tmp_path, [rolmre_line("0000000000001", 3808)])
    run(water, path)
    with pytest.raises(ImportRefused, match="déjà été importé"):
        run(water, path)


def test_a_rejected_file_may_be_sent_again(water, tmp_path):
    path = write(tmp_path, [rolmre_line("0000000000001", 3808), rolmre_line("0000000000002", 1, ROLTOT="X")])
    assert run(water, path).state == "rejected"
    assert run(water, path, mode="partial").state == "done"


def test_refdet_already_held_is_reported_never_overwritten_and_identical_skipped(water, tmp_path):
    run(water, write(tmp_path, [rolmre_line("0000000000001", 3808), rolmre_line("0000000000002", 5000)], "a.txt"))
    second = [
        rolmre_line("0000000000001", 3808),  # identical: skipped and counted
        rolmre_line("0000000000002", 9999),  # same REFDET, other amount: conflict
        rolmre_line("0000000000003", 100),
    ]
    batch = run(water, write(tmp_path, second, "b.txt"), mode="partial")
    assert (batch.imported, batch.identical, batch.rejected) == (1, 1, 1)
    conflict = batch.issues.get()
    assert conflict.kind == "conflict" and conflict.line_no == 2
    assert Debt.objects.get(refdet="2026EA000000000000002").amount_cents == 5000


def test_duplicate_refdet_inside_the_file(water, tmp_path):
    lines = [
        rolmre_line("0000000000001", 3808),
        rolmre_line("0000000000001", 3808),  # identical repeat: skipped
        rolmre_line("0000000000001", 4000),  # different repeat: reported
    ]
    batch = run(water, write(tmp_path, lines), mode="partial")
    assert (batch.imported, batch.identical, batch.rejected) == (1, 1, 1)
    assert batch.issues.get().kind == "duplicate"


def test_wrong_format_for_the_client_is_refused(water, tmp_path):
    with pytest.raises(ImportRefused, match="protocole"):
        import_batch_create(client=water, fmt="indigo", path=write(tmp_path, ["x"]), filename="x")


def test_unreadable_file_fails_with_a_french_message(water, tmp_path):
    path = tmp_path / "binaire.bin"
    path.write_bytes(b"\x00\x01\x02" * 400)
    batch = run(water, path)
    assert batch.state == ImportBatch.State.FAILED
    assert batch.fatal_error
    assert not Debt.objects.exists()


def test_indigo_amounts_outside_card_limits_are_imported_and_marked(tmp_path):
    client = TipiClientFactory(protocol="indigo")
    common = {
        "CODEXER": "2026",
        "NATURETITRE": "01",
        "REFSTABLE": "REF01",
        "ZONEAD1": "Jean Dupont",
        "VERSION": "1",
        "CODTYPE": "1",
    }
    lines = [
        indigo.LAYOUT.build({**common, "NUMTITRE": "00000001", "NUMORDRE": "000001", "MONTANT": "65"}),
        indigo.LAYOUT.build({**common, "NUMTITRE": "00000002", "NUMORDRE": "000001", "MONTANT": "180000"}),
    ]
    batch = run(client, write(tmp_path, lines, "titres.txt"))
    assert batch.imported == 2, list(batch.issues.values_list("message", flat=True))
    codes = sorted(d.card_block_code for d in Debt.objects.all())
    assert codes == ["M2", "M3"]


def test_indigo_titre_whose_lines_are_not_adjacent_stores_no_partial_amount(tmp_path):
    # Issue 15: partial mode used to store 10.00 € for this 15.00 € titre of nature 09.
    client = TipiClientFactory(protocol="indigo")
    common = {"CODEXER": "2026", "REFSTABLE": "REF01", "ZONEAD1": "Jean Dupont", "VERSION": "1", "CODTYPE": "1"}
    lines = [
        indigo.LAYOUT.build({**common, "NUMTITRE": "7", "NUMORDRE": "1", "NATURETITRE": "09", "MONTANT": "1000"}),
        indigo.LAYOUT.build({**common, "NUMTITRE": "8", "NUMORDRE": "1", "NATURETITRE": "01", "MONTANT": "2500"}),
        indigo.LAYOUT.build({**common, "NUMTITRE": "7", "NUMORDRE": "2", "NATURETITRE": "09", "MONTANT": "500"}),
    ]
    batch = run(client, write(tmp_path, lines, "titres.txt"), mode="partial")
    assert (batch.state, batch.imported) == ("done", 1)
    assert list(Debt.objects.values_list("refdet", "amount_cents")) == [("202600000008000001", 2500)]
    assert sorted(batch.issues.values_list("line_no", flat=True)) == [1, 3]
