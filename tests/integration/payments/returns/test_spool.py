"""The local spool of return notices: kept when the database cannot store them, replayed once.

The database failures here are simulated (notice_record raising); the real thing, PostgreSQL
killed under gunicorn, is tests/integration/payments/returns/test_fault_database_down.py.
"""

import base64
import datetime
import json
import multiprocessing
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from payments import tasks
from payments.models import ReturnNotice, Transaction
from payments.returns import replay, spool
from payments.returns.replay import notices_replay
from tests import paths
from tests.conftest import retour_body
from tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db
URL = "/tipi/retour/"
FORM = "application/x-www-form-urlencoded"
ROOT = paths.ROOT


@pytest.fixture
def spool_dir(settings, tmp_path):
    settings.RETURNS_SPOOL_DIR = tmp_path / "spool"
    spool.STATE.replay_wanted = False
    yield settings.RETURNS_SPOOL_DIR
    spool.STATE.replay_wanted = False


@pytest.fixture
def database_refuses(monkeypatch):
    """notice_record fails as it does when PostgreSQL is down."""

    def refuse(**kwargs):
        raise OperationalError('connection failed: connection to server at "127.0.0.1", port 5432 failed')

    monkeypatch.setattr("payments.views.notice_record", refuse)
    return monkeypatch


def post(client, body):
    return client.post(URL, data=body, content_type=FORM)


def spooled_lines(directory: Path) -> list[dict]:
    lines = []
    for path in sorted(directory.glob("*.jsonl")):
        lines += [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    return lines


def live_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{spool.LIVE_PREFIX}*{spool.SUFFIX}"))


# --- The endpoint spools what the database refuses --------------------------------------


def test_notice_the_database_refuses_is_spooled_and_answered_200(client, spool_dir, database_refuses):
    transaction = TransactionFactory()
    response = post(client, retour_body(transaction))
    assert response.status_code == 200
    assert not ReturnNotice.objects.exists()
    [line] = spooled_lines(spool_dir)
    assert base64.b64decode(line["body"]).decode() == retour_body(transaction)
    assert line["content_type"] == FORM
    assert line["remote_addr"] == "127.0.0.1"
    assert line["headers"]["X-Request-ID"] == response["X-Request-ID"]
    assert "OperationalError" in line["error"]
    assert [p.name for p in live_files(spool_dir)] == [f"returns-{os.getpid()}.jsonl"]
    assert stat.S_IMODE(os.stat(spool_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(live_files(spool_dir)[0]).st_mode) == 0o600


def test_fast_path_writes_no_spool(client, spool_dir):
    transaction = TransactionFactory()
    post(client, retour_body(transaction))
    assert ReturnNotice.objects.get().outcome == "applied"
    assert not spool_dir.exists()


def test_notice_stored_directly_keeps_its_request_id(client, spool_dir):
    response = post(client, b"garbage")
    assert ReturnNotice.objects.get().headers["X-Request-ID"] == response["X-Request-ID"]


def test_healthz_reports_the_spool_without_failing(client, spool_dir, database_refuses):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "queue": "ok"}
    post(client, b"NUMCLI=1")
    post(client, b"NUMCLI=2")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok", "spool": 2}


def test_when_the_spool_fails_too_the_endpoint_still_answers(client, settings, tmp_path, database_refuses, caplog):
    (tmp_path / "a-file").write_text("not a directory")
    settings.RETURNS_SPOOL_DIR = tmp_path / "a-file" / "spool"
    assert post(client, b"NUMCLI=1").status_code == 200
    assert any("LOST" in record.getMessage() for record in caplog.records)


def test_junk_whose_budget_cannot_be_counted_is_spooled_and_replayed(client, spool_dir, settings, monkeypatch):
    """The budget's counter is in the database too: when it is away, a stranger's notice is
    spooled like any other (it might be TIPI's from an address DGFiP changed), body bounded."""
    settings.TIPI_RETURN_ALLOWED_IPS = ["192.0.2.0/24"]

    def counter_down(**kwargs):
        raise OperationalError("connection failed")

    monkeypatch.setattr("payments.returns.notices.rate_limit_consume", counter_down)
    big = b"A=" + b"x" * 10_000
    assert client.post(URL, data=big, content_type=FORM, REMOTE_ADDR="198.51.100.7").status_code == 200
    [line] = spooled_lines(spool_dir)
    assert base64.b64decode(line["body"]) == big[:2049]
    monkeypatch.undo()
    call_command("returns_replay")
    assert ReturnNotice.objects.get().outcome == ReturnNotice.Outcome.REFUSED_IP


# --- Replay -----------------------------------------------------------------------------


def test_replay_stores_each_spooled_notice_and_applies_it_once(client, spool_dir, database_refuses, capsys):
    paid, refused = TransactionFactory(), TransactionFactory()
    before = timezone.now()
    bodies = [retour_body(paid), retour_body(paid), retour_body(refused, resultrans="R", numauto=""), b"garbage"]
    for body in bodies:
        assert post(client, body).status_code == 200
    ids = {line["spool_id"] for line in spooled_lines(spool_dir)}
    assert len(ids) == 4
    database_refuses.undo()

    call_command("returns_replay")
    out = capsys.readouterr().out
    assert "1 fichier(s), 4 retour(s) enregistré(s)" in out
    assert "4 retour(s) traité(s)" in out
    notices = list(ReturnNotice.objects.order_by("received_at"))
    assert {str(n.spool_id) for n in notices} == ids
    assert [n.outcome for n in notices] == ["applied", "duplicate", "applied", "malformed"]
    assert all(before <= n.received_at <= timezone.now() for n in notices)
    assert [bytes(n.body) for n in notices] == [b.encode() if isinstance(b, str) else b for b in bodies]
    paid.refresh_from_db(), refused.refresh_from_db()
    assert paid.state == Transaction.State.PAID and refused.state == Transaction.State.REFUSED
    assert list(spool_dir.glob("*.jsonl")) == []

    call_command("returns_replay")  # nothing left
    assert "0 retour(s) traité(s)" in capsys.readouterr().out
    assert ReturnNotice.objects.count() == 4
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "queue": "ok"}


def test_crash_after_commit_before_the_file_is_removed_stores_nothing_twice(
    client, spool_dir, database_refuses, monkeypatch
):
    transaction = TransactionFactory()
    post(client, retour_body(transaction))
    post(client, retour_body(transaction))
    database_refuses.undo()

    def crash(path):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(spool.os, "unlink", crash)
    with pytest.raises(KeyboardInterrupt):
        call_command("returns_replay")
    assert ReturnNotice.objects.filter(outcome="received").count() == 2  # committed, not applied
    [claimed] = spool_dir.glob("claimed-*.jsonl")
    monkeypatch.undo()

    report = replay.spool_ingest()
    assert (report.files, report.stored, report.already_stored) == (1, 0, 2)
    assert notices_replay(spool=False) == {"applied": 1, "duplicate": 1}  # spooled ones: whatever their age
    assert not claimed.exists()
    assert ReturnNotice.objects.count() == 2
    assert ReturnNotice.objects.filter(transaction=transaction, outcome="applied").count() == 1


def test_crash_before_commit_leaves_the_file_to_replay_whole(client, spool_dir, database_refuses, monkeypatch):
    transactions = TransactionFactory.create_batch(3)
    for transaction in transactions:
        post(client, retour_body(transaction))
    database_refuses.undo()
    real_store, calls = replay._store, []

    def store_then_die(line, report):
        calls.append(line)
        if len(calls) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return real_store(line, report)

    monkeypatch.setattr(replay, "_store", store_then_die)
    with pytest.raises(Exception, match="base de données injoignable"):
        call_command("returns_replay")
    assert not ReturnNotice.objects.exists()  # the file's lines are committed together or not at all
    assert len(list(spool_dir.glob("claimed-*.jsonl"))) == 1
    monkeypatch.setattr(replay, "_store", real_store)

    call_command("returns_replay")
    assert sorted(ReturnNotice.objects.values_list("outcome", flat=True)) == ["applied"] * 3
    assert Transaction.objects.filter(state="paid").count() == 3
    assert list(spool_dir.glob("*.jsonl")) == []


def test_replay_while_the_database_is_still_down_keeps_everything(client, spool_dir, database_refuses, monkeypatch):
    post(client, b"NUMCLI=1")
    database_refuses.undo()

    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr("django.db.connection.ensure_connection", down)
    with pytest.raises(Exception, match="base de données injoignable"):
        call_command("returns_replay")
    monkeypatch.undo()
    assert spool.spool_status() == {"waiting": 1, "rejected": 0}
    call_command("returns_replay")
    assert ReturnNotice.objects.get().outcome == "malformed"


def test_insert_that_committed_before_failing_is_not_stored_twice(client, spool_dir, monkeypatch):
    """The server died between its commit and its answer: the notice is in the database and in
    the spool; the replay recognises it by its request id (a true repeat is still stored)."""
    from payments.returns import notices

    transaction = TransactionFactory()

    def commit_then_fail(**kwargs):
        notices.notice_record(**kwargs)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("payments.views.notice_record", commit_then_fail)
    post(client, retour_body(transaction))
    post(client, retour_body(transaction))  # TIPI's repeat, also caught by the failure
    monkeypatch.undo()
    assert ReturnNotice.objects.count() == 2 and len(spooled_lines(spool_dir)) == 2
    call_command("returns_replay", "--older-than", "0")
    assert ReturnNotice.objects.count() == 2
    assert not ReturnNotice.objects.filter(spool_id__isnull=False).exists()
    assert sorted(ReturnNotice.objects.values_list("outcome", flat=True)) == ["applied", "duplicate"]


def test_a_repeat_with_another_request_id_is_stored(client, spool_dir, monkeypatch):
    transaction = TransactionFactory()
    post(client, retour_body(transaction))  # stored directly
    monkeypatch.setattr("payments.views.notice_record", lambda **kw: (_ for _ in ()).throw(OperationalError("down")))
    post(client, retour_body(transaction))  # same body, another request: spooled
    monkeypatch.undo()
    call_command("returns_replay")
    assert sorted(ReturnNotice.objects.values_list("outcome", flat=True)) == ["applied", "duplicate"]
    assert ReturnNotice.objects.filter(spool_id__isnull=False).count() == 1


def test_cut_line_is_set_aside_and_the_next_line_kept_whole(client, spool_dir, database_refuses):
    spool_dir.mkdir()
    (spool_dir / f"returns-{os.getpid()}.jsonl").write_bytes(b'{"v":1,"spool_id":"3f0c')  # a crash mid-line
    post(client, b"NUMCLI=1")
    database_refuses.undo()
    report = replay.spool_ingest()
    assert (report.stored, report.rejected) == (1, 1)
    [rejected] = spool_dir.glob("rejected-*.jsonl")
    kept = json.loads(rejected.read_text())
    assert base64.b64decode(kept["line_base64"]) == b'{"v":1,"spool_id":"3f0c'
    assert client.get("/healthz").json()["spool_rejected"] == 1
    assert replay.spool_ingest().files == 0  # set aside once, not replayed again


def test_one_replay_at_a_time(client, spool_dir, database_refuses):
    post(client, b"NUMCLI=1")
    database_refuses.undo()
    with spool.replay_lock(spool_dir) as held:
        assert held
        assert replay.spool_ingest().busy
        assert live_files(spool_dir)  # untouched
    assert replay.spool_ingest().stored == 1


def test_no_spool_directory_is_nothing_to_do(spool_dir, capsys):
    call_command("returns_replay")
    assert capsys.readouterr().out == "0 retour(s) traité(s) (rien à faire).\n"
    assert spool.spool_status() == {"waiting": 0, "rejected": 0}


# --- The task worker --------------------------------------------------------------------


def test_database_back_asks_the_task_worker_to_replay(client, spool_dir, monkeypatch):
    transaction = TransactionFactory()
    monkeypatch.setattr("payments.views.notice_record", lambda **kw: (_ for _ in ()).throw(OperationalError("down")))
    post(client, retour_body(transaction))
    assert spool.STATE.replay_wanted
    assert not DBTaskResult.objects.exists()
    monkeypatch.undo()
    post(client, b"garbage")  # stored directly: the database is back
    post(client, b"garbage")
    [queued] = DBTaskResult.objects.all()  # once, not per notice
    assert queued.task_path == "payments.tasks.returns_replay_task"
    assert not spool.STATE.replay_wanted
    assert tasks.returns_replay_task.call() == {"applied": 1}  # what db_worker runs
    transaction.refresh_from_db()
    assert transaction.state == "paid"


# --- Appends and claims racing ----------------------------------------------------------


def test_writer_that_opened_the_file_before_a_claim_writes_to_the_new_one(spool_dir, monkeypatch):
    spool.spool_append(body=b"first", content_type="", headers={}, remote_addr=None, received_at=0)
    real_lock, claims = spool._lock, []

    def claim_first(fd):
        if not claims:  # the replay renames the file between the writer's open and its lock
            claims.extend(spool.claim_files(spool_dir))
        real_lock(fd)

    monkeypatch.setattr(spool, "_lock", claim_first)
    spool.spool_append(body=b"second", content_type="", headers={}, remote_addr=None, received_at=0)
    monkeypatch.undo()
    [claimed] = claims
    assert [base64.b64decode(json.loads(x)["body"]) for x in claimed.read_bytes().splitlines()] == [b"first"]
    [live] = live_files(spool_dir)
    assert [base64.b64decode(json.loads(x)["body"]) for x in live.read_bytes().splitlines()] == [b"second"]


def test_replay_waits_for_a_write_begun_before_the_claim(spool_dir):
    import fcntl

    spool.spool_append(body=b"first", content_type="", headers={}, remote_addr=None, received_at=0)
    [live] = live_files(spool_dir)
    writer = os.open(live, os.O_WRONLY | os.O_APPEND)
    fcntl.flock(writer, fcntl.LOCK_EX)  # a writer holds the lock, its line not written yet
    [claimed] = spool.claim_files(spool_dir)
    read = []
    reader = threading.Thread(target=lambda: read.append(spool.read_claimed(claimed)))
    reader.start()
    reader.join(0.3)
    assert reader.is_alive()  # waiting for the writer
    os.write(writer, b'{"late": true}\n')
    os.close(writer)
    reader.join(5)
    assert read and read[0].endswith(b'{"late": true}\n')


def _append_many(directory: str, count: int, threads: int, out) -> None:
    from django.conf import settings

    settings.RETURNS_SPOOL_DIR = directory
    written: list[str] = []

    def work():
        for _ in range(count):
            written.append(
                spool.spool_append(body=b"x" * 300, content_type="", headers={}, remote_addr=None, received_at=0)
            )

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.send(written)
    out.close()


def test_concurrent_writers_and_claims_lose_nothing_and_duplicate_nothing(spool_dir):
    """4 processes × 4 threads append while the replay keeps claiming and reading files."""
    spool_dir.mkdir()
    context = multiprocessing.get_context("fork")
    pipes, processes = [], []
    for _ in range(4):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_append_many, args=(str(spool_dir), 150, 4, send))
        process.start()
        send.close()
        pipes.append(receive)
        processes.append(process)
    seen: list[str] = []
    claimed_files: list[Path] = []

    def drain() -> None:
        with spool.replay_lock(spool_dir) as held:
            assert held
            for path in spool.claim_files(spool_dir):
                claimed_files.append(path)
                lines, bad = spool.read_lines(spool.read_claimed(path))
                assert bad == []
                seen.extend(str(line.spool_id) for line in lines)
                os.unlink(path)

    written: list[str] = []
    while pipes:
        drain()
        for pipe in [pipe for pipe in pipes if pipe.poll()]:
            written += pipe.recv()  # each child sends its ids once, at its end
            pipes.remove(pipe)
            pipe.close()
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    drain()
    assert len(written) == 4 * 4 * 150
    assert len(seen) == len(written)  # nothing read twice
    assert set(seen) == set(written)  # nothing lost
    assert len(claimed_files) > 2 * 4, "the claims did not race with the writers"


# --- Settings ---------------------------------------------------------------------------


def test_postgresql_connections_fail_fast():
    code = (
        "import django; django.setup(); from django.conf import settings;"
        "print(settings.DATABASES['default']['OPTIONS']['connect_timeout'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tipiportal.settings",
        "DATABASE_URL": "postgres://portail@db.example:5432/portail",
    }
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "5", result.stderr
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**env, "DATABASE_CONNECT_TIMEOUT": "2"},
    )
    assert result.stdout.strip() == "2", result.stderr


def test_replayed_notice_keeps_the_time_it_was_received(client, spool_dir, database_refuses):
    post(client, b"NUMCLI=1")
    [path] = live_files(spool_dir)
    line = json.loads(path.read_bytes())
    line["received_at"] = "2026-11-22T10:00:00+00:00"
    path.write_bytes(json.dumps(line).encode() + b"\n")
    database_refuses.undo()
    call_command("returns_replay")
    notice = ReturnNotice.objects.get()
    assert notice.received_at == datetime.datetime(2026, 11, 22, 10, tzinfo=datetime.UTC)
    assert notice.outcome == "malformed"


# --- A real failure on PostgreSQL: the notices table locked by someone else ----------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_notice_blocked_by_a_lock_is_spooled_then_replayed(client, spool_dir):
    """Not simulated: another session holds the table; with a lock_timeout (set in production
    through DATABASE_URL's ``options``) the INSERT fails, the notice is spooled, answered 200."""
    import psycopg
    from django.db import connection

    transaction = TransactionFactory()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '500ms'")
    try:
        with psycopg.connect(**params) as other:
            other.execute(f"LOCK TABLE {ReturnNotice._meta.db_table} IN ACCESS EXCLUSIVE MODE")  # e.g. a migration
            response = post(client, retour_body(transaction))
            assert response.status_code == 200
            assert len(spooled_lines(spool_dir)) == 1
            assert "lock timeout" in spooled_lines(spool_dir)[0]["error"]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    # The lock is gone (the other session ended): the replay stores and applies the notice.
    call_command("returns_replay")
    notice = ReturnNotice.objects.get()
    assert notice.spool_id is not None and notice.outcome == "applied"
    transaction.refresh_from_db()
    assert transaction.state == "paid"
