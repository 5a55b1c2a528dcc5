"""Issue 13, item 11: uploads kept forever.

A dry run keeps its copy of the uploaded file until it is confirmed; one never confirmed, or
that failed, kept it forever (debtors' names and addresses, in var/imports/). The daily
``manage.py purge_import_files`` now deletes every copy older than IMPORT_FILES_RETENTION_DAYS
(or --older-than-days), and the files an interrupted upload left without a batch, never one a
queued or running import still needs.
"""

import datetime
import os
import shutil
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from debts.importers import rolmre
from debts.models import ImportBatch
from debts.services.imports import ImportRefused, debts_import, import_batch_confirm, import_batch_create
from tests import paths
from tests.factories import RolmreClientFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 22)


@pytest.fixture
def imports_dir(tmp_path, settings):
    settings.IMPORTS_DIR = tmp_path / "imports"
    settings.IMPORT_FILES_RETENTION_DAYS = 7
    return settings.IMPORTS_DIR


@pytest.fixture
def water():
    return RolmreClientFactory(code_recette="EA")


def upload(tmp_path, client, roldet: str, **kwargs) -> ImportBatch:
    """A ROLMRE file of one good line, received like the staff page receives it."""
    line = rolmre.LAYOUT.build(
        {
            "ROLMVT": "1",
            "ROLCOL": "01",
            "ROLNAT": "01",
            "ROLEX": "2026",
            "ROLPER": "1",
            "ROLDET": roldet,
            "ROLREC": "EA",
            "ROLDAT": "20261115",
            "ROLTOT": "3808",
            "ROLNOM": "Élodie Œuvray",
            "ROLADR": "14 RUE PHILIPPE LESOIN",
            "ROLCP": "80000",
            "ROLLOC": "AMIENS",
            "ROLCLI": "CLI0001",
            "ROLDEB": "00",
            "ROLTPR": "1",
            "ROLVER": "2",
        }
    )
    path = tmp_path / f"eau-{roldet}.txt"
    path.write_bytes((line + "\r\n").encode("iso-8859-15"))
    return import_batch_create(client=client, fmt=client.protocol, path=path, filename=path.name, **kwargs)


def dry_run(tmp_path, client, roldet: str) -> ImportBatch:
    return debts_import(batch=upload(tmp_path, client, roldet, dry_run=True), today=TODAY)


def age(batch: ImportBatch, days: int) -> None:
    """Make the batch and its copy ``days`` old."""
    when = timezone.now() - datetime.timedelta(days=days)
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=when)
    if os.path.exists(batch.file_path):
        os.utime(batch.file_path, (when.timestamp(), when.timestamp()))


def test_an_unconfirmed_dry_run_loses_its_copy_after_the_retention_period(imports_dir, water, tmp_path):
    old = dry_run(tmp_path, water, "0000000000001")
    recent = dry_run(tmp_path, water, "0000000000002")
    assert (old.state, recent.state) == ("done", "done")
    age(old, 8)
    age(recent, 6)
    call_command("purge_import_files")
    assert not os.path.exists(old.file_path)
    assert os.path.exists(recent.file_path)
    old.refresh_from_db()
    assert old.file_path == ""
    with pytest.raises(ImportRefused, match="plus disponible"):
        import_batch_confirm(dry_run_batch=old)
    assert import_batch_confirm(dry_run_batch=recent).state == ImportBatch.State.QUEUED


def test_failed_and_rejected_dry_runs_lose_their_copies_too(imports_dir, water, tmp_path):
    binary = tmp_path / "binaire.bin"
    binary.write_bytes(b"\x00\x01\x02" * 400)
    failed = debts_import(
        batch=import_batch_create(client=water, fmt="rolmre", path=binary, filename="b.bin", dry_run=True),
        today=TODAY,
    )
    bad = tmp_path / "mauvais.txt"
    bad.write_bytes(b"X" * 500 + b"\r\n")
    rejected = debts_import(
        batch=import_batch_create(client=water, fmt="rolmre", path=bad, filename="m.txt", dry_run=True), today=TODAY
    )
    assert (failed.state, rejected.state) == ("failed", "rejected")
    assert os.path.exists(failed.file_path) and os.path.exists(rejected.file_path)  # before the purge
    for batch in (failed, rejected):
        age(batch, 30)
    call_command("purge_import_files")
    assert not os.path.exists(failed.file_path) and not os.path.exists(rejected.file_path)
    assert list(imports_dir.iterdir()) == []


def test_a_queued_or_running_import_keeps_its_file_however_old(imports_dir, water, tmp_path):
    queued = upload(tmp_path, water, "0000000000003")
    running = upload(tmp_path, water, "0000000000004", dry_run=True)
    ImportBatch.objects.filter(pk=running.pk).update(state=ImportBatch.State.RUNNING)
    for batch in (queued, running):
        age(batch, 400)
    call_command("purge_import_files", "--older-than-days", "1")
    assert os.path.exists(queued.file_path) and os.path.exists(running.file_path)
    queued.refresh_from_db()
    assert debts_import(batch=queued, today=TODAY).state == ImportBatch.State.DONE


def test_files_no_batch_names_are_deleted_once_old(imports_dir, water, tmp_path):
    kept = dry_run(tmp_path, water, "0000000000005")
    age(kept, 1)
    left_behind = imports_dir / "a-copy-whose-batch-was-never-saved"
    left_behind.write_bytes(b"NOM ADRESSE")
    fresh = imports_dir / "a-copy-being-written-right-now"
    fresh.write_bytes(b"NOM ADRESSE")
    old = (timezone.now() - datetime.timedelta(days=8)).timestamp()
    os.utime(left_behind, (old, old))
    call_command("purge_import_files")
    assert not left_behind.exists()
    assert fresh.exists() and os.path.exists(kept.file_path)


def test_the_command_says_what_it_did_and_refuses_a_period_of_nothing(imports_dir, water, tmp_path, capsys):
    batch = dry_run(tmp_path, water, "0000000000006")
    age(batch, 3)
    call_command("purge_import_files", "--older-than-days", "2")
    assert "1 fichier(s) reçu(s) supprimé(s)" in capsys.readouterr().out
    assert not os.path.exists(batch.file_path)
    with pytest.raises(CommandError, match="au moins 1"):
        call_command("purge_import_files", "--older-than-days", "0")


def test_the_setting_and_the_daily_timer_are_documented():
    readme = (paths.ROOT / "README.md").read_text()
    deployment = (paths.ROOT / "docs" / "deployment.md").read_text()
    assert "`IMPORT_FILES_RETENTION_DAYS`" in readme
    assert "manage.py purge_import_files" in deployment


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_confirmation_under_way_keeps_the_file_it_is_copying(imports_dir, water, tmp_path, monkeypatch):
    """The purge and a confirmation lock the dry run's row: the purge waits for the copy."""
    old = dry_run(tmp_path, water, "0000000000007")
    age(old, 30)
    copying, real_copyfile = threading.Event(), shutil.copyfile
    outcome: dict = {}

    def slow_copyfile(source, target):
        copying.set()
        time.sleep(1)  # the purge starts meanwhile
        return real_copyfile(source, target)

    monkeypatch.setattr("debts.services.imports.shutil.copyfile", slow_copyfile)

    def confirm():
        try:
            outcome["real"] = import_batch_confirm(dry_run_batch=old)
        except BaseException as error:  # noqa: BLE001 - asserted below, in the test's thread
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=confirm)
    thread.start()
    assert copying.wait(10)
    call_command("purge_import_files")
    thread.join()
    assert "error" not in outcome, outcome
    real = outcome["real"]
    assert real.state == ImportBatch.State.QUEUED and os.path.exists(real.file_path)
    assert not os.path.exists(old.file_path)
