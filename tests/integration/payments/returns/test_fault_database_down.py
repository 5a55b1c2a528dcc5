"""Fault test: PostgreSQL killed while TIPI's returns keep coming; not one notice is lost.

Nothing is simulated: the test starts its own PostgreSQL cluster (initdb in a temporary
directory, a free port, as the ``postgres`` user when run as root), migrates a database there,
runs the portal under gunicorn (2 workers, production settings, sandbox off) against it, and
POSTs returns from 8 client threads, one connection per POST: a valid P for each of many pending transactions, repeats
of some of them, and garbage. In the middle of the stream PostgreSQL is stopped hard
(``pg_ctl stop -m immediate``: no shutdown checkpoint, backends killed, crash recovery on the
next start); the returns keep coming and must all be answered 200 (the portal spools them);
every gunicorn worker is then killed (SIGKILL) and replaced, more returns come to the new ones;
then PostgreSQL is restarted, more returns are sent, and ``manage.py returns_replay`` runs. Every notice sent must
be in the database exactly once, every valid P applied exactly once.

PostgreSQL-only by nature (marker ``postgres``): it needs PostgreSQL's binaries, not the
database of the test run. Everything it started is stopped and deleted, even on failure.
"""

from __future__ import annotations

import collections
import contextlib
import glob
import http.client
import json
import os
import pwd
import queue
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests import paths

pytestmark = pytest.mark.postgres

ROOT = paths.ROOT
TRANSACTIONS = 240
REPEATS = 60
GARBAGE = 20
SENDERS = 8


def _pg_bin() -> Path:
    configured = os.environ.get("PG_BIN")
    if configured:
        return Path(configured)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        pytest.fail("PostgreSQL's binaries (initdb, pg_ctl) are needed: set PG_BIN")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A throw-away PostgreSQL cluster, run as the postgres user when we are root."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="tipi-fault-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, *args], cwd=self.dir, capture_output=True, text=True, timeout=timeout)

    def init(self) -> None:
        done = self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        )
        assert done.returncode == 0, done.stderr

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=60"
        done = self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )
        assert done.returncode == 0, done.stdout + done.stderr + self.log()

    def stop_immediate(self) -> None:
        done = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        assert done.returncode == 0, done.stdout + done.stderr

    def log(self) -> str:
        try:
            return (self.dir / "server.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            done = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
            if done.returncode != 0:
                with contextlib.suppress(OSError, ValueError, IndexError):
                    os.kill(int((self.data / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    cluster = Cluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def workdir():
    path = Path(tempfile.mkdtemp(prefix="tipi-fault-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def production_env(database_url: str, workdir: Path) -> dict[str, str]:
    """A production deployment's environment, and nothing of the test run's (the pytest settings' DEBUG…)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "tipiportal.settings",
        "DEBUG": "0",
        "SECRET_KEY": "fault-" + secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",  # no TLS proxy in front here
        "TIPI_SANDBOX": "0",
        "DATABASE_URL": database_url,
        "DATABASE_CONNECT_TIMEOUT": "3",
        "PORTAL_PUBLIC_URL": "https://paiement.ville.example",
        "EMAIL_URL": "dummymail://",  # production refuses to start without one
        "TIPI_RETURN_ACCEPT_ANY_SOURCE": "1",  # the returns come from this machine
        "STATIC_ROOT": str(workdir / "static"),
        "RETURNS_SPOOL_DIR": str(workdir / "spool"),
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


# The pending transactions, made as transaction_start makes them (bulk), printed as JSON.
CREATE_DATA = """
import datetime, json, sys
import django
django.setup()
from django.utils import timezone
from debts.models import Debt
from payments.models import TipiClient, Transaction, new_token
from payments.tipi import Protocol, compose_refdet

count = int(sys.argv[1])
today = timezone.localdate()
client = TipiClient.objects.create(numcli="471100", protocol="indigo", label="Commune de Panne", state="active")
debts = Debt.objects.bulk_create([
    Debt(client=client, refdet=compose_refdet(Protocol.INDIGO, codexer=str(today.year), numtitre=f"{n + 1:08d}", numordre="000001"),
         ref_parts={"codexer": str(today.year), "numtitre": f"{n + 1:08d}", "numordre": "000001"},
         amount_cents=1000 + n, debtor_ref=f"REF{n:07d}", debtor_name="Usager", label="Cantine",
         online_from=today - datetime.timedelta(days=3), online_until=today + datetime.timedelta(days=57))
    for n in range(count)
])
params = []
transactions = []
for n, debt in enumerate(debts):
    token = new_token()
    sent = {"numcli": client.numcli, "refdet": debt.refdet, "objet": token, "montant": str(debt.amount_cents),
            "mel": f"usager{n}@exemple.fr", "urlcl": "https://paiement.ville.example/tipi/retour/", "saisie": "M"}
    params.append(sent)
    transactions.append(Transaction(token=token, client=client, debt=debt, saisie="M", refdet=debt.refdet,
                                    amount_cents=debt.amount_cents, email=sent["mel"], params=sent,
                                    url="https://www.payfip.gouv.fr/tpa/paiement.web"))
Transaction.objects.bulk_create(transactions)
print(json.dumps(params))
"""


def paid_body(params: dict, numauto: str) -> bytes:
    fields = {
        "NUMCLI": params["numcli"],
        "REFDET": params["refdet"],
        "OBJET": params["objet"],
        "MONTANT": params["montant"],
        "MEL": params["mel"],
        "SAISIE": params["saisie"],
        "RESULTRANS": "P",
        "NUMAUTO": numauto,
        "DATTRANS": "22112026",
    }
    return urlencode(fields).encode()


class Gunicorn:
    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.port = _free_port()
        self.log_path = workdir / "gunicorn.log"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "tipiportal.wsgi:application",
            "--chdir",
            str(ROOT),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--timeout",
            "30",
            "--no-control-socket",
        ]
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn exited: {self.tail()}"
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                connection.close()
            time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer within 30 s: {self.tail()}")

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def kill_workers(self) -> None:
        """SIGKILL every worker (no clean-up of any kind); wait for the master's new ones."""
        killed = self.workers()
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            current = self.workers()
            if len(current) == 2 and not set(current) & set(killed):
                return
            time.sleep(0.1)
        pytest.fail(f"gunicorn did not replace its killed workers: {self.tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


class Senders:
    """SENDERS threads POSTing what is queued, one connection per POST as TIPI's server does
    (no keep-alive to lose to an idle timeout or a killed worker: any failure is a real one)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.queue: queue.Queue[bytes | None] = queue.Queue()
        self.answers: list[tuple[bytes, int | str]] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(SENDERS)]
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        while (body := self.queue.get()) is not None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                connection.request(
                    "POST", "/tipi/retour/", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
                )
                response = connection.getresponse()
                response.read()
                status: int | str = response.status
            except (OSError, http.client.HTTPException) as exc:  # a failure of the test, not a retry
                status = f"{type(exc).__name__}: {exc}"
            finally:
                connection.close()
            with self.lock:
                self.answers.append((body, status))

    def send(self, bodies: list[bytes]) -> None:
        for body in bodies:
            self.queue.put(body)

    def answered(self) -> int:
        with self.lock:
            return len(self.answers)

    def wait_answered(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.answered() < count:
            assert time.monotonic() < deadline, f"only {self.answered()} of {count} answers"
            time.sleep(0.01)

    def close(self) -> None:
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join(timeout=30)


def query(url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as connection:
        return connection.execute(sql).fetchall()


def test_notices_survive_postgresql_killed_under_load(cluster, workdir):
    started = time.monotonic()
    database_url = cluster.url("portail")
    subprocess.run(
        [
            *cluster.as_user,
            str(cluster.bin / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            "portail",
        ],
        cwd=cluster.dir,
        check=True,
        capture_output=True,
    )
    (workdir / "static").mkdir()
    env = production_env(database_url, workdir)
    manage(env, "migrate", "--noinput")
    created = subprocess.run(
        [sys.executable, "-c", CREATE_DATA, str(TRANSACTIONS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    transactions = json.loads(created.stdout)

    # The returns: one valid P per transaction, repeats of some (identical bodies), garbage.
    rng = random.Random(20261122)
    paid = [paid_body(params, f"{n:06d}") for n, params in enumerate(transactions)]
    bodies = paid + [rng.choice(paid) for _ in range(REPEATS)] + [f"garbage-{n}".encode() for n in range(GARBAGE)]
    rng.shuffle(bodies)
    total = len(bodies)
    cuts = [int(total * share) for share in (0.40, 0.60, 0.75)]

    gunicorn = Gunicorn(env, workdir)
    senders = None
    try:
        gunicorn.wait_ready()
        senders = Senders(gunicorn.port)
        senders.send(bodies[: cuts[0]])
        senders.wait_answered(cuts[0] // 2)
        cluster.stop_immediate()  # in the middle of the stream, requests in flight
        stopped_at = senders.answered()
        senders.send(bodies[cuts[0] : cuts[1]])
        senders.wait_answered(cuts[1])  # answered while PostgreSQL is down: spooled
        spool_files_of_killed = sorted(p.name for p in (workdir / "spool").glob("returns-*.jsonl"))
        gunicorn.kill_workers()  # the processes that wrote the spool die without a word
        senders.send(bodies[cuts[1] : cuts[2]])
        senders.wait_answered(cuts[2])  # PostgreSQL still down, the new workers spool
        cluster.start()  # crash recovery
        restarted_at = senders.answered()
        senders.send(bodies[cuts[2] :])
        senders.wait_answered(total)
    finally:
        if senders is not None:
            senders.close()
        gunicorn.stop()
    statuses = collections.Counter(status for _, status in senders.answers)
    assert statuses == {200: total}, f"{statuses}\n{gunicorn.tail()}"
    spool_files = sorted(p.name for p in (workdir / "spool").glob("returns-*.jsonl"))
    assert spool_files_of_killed and set(spool_files_of_killed) < set(spool_files)  # the dead ones' too
    spooled_lines = sum((workdir / "spool" / name).read_bytes().count(b"\n") for name in spool_files)

    replay = manage(env, "returns_replay", "--older-than", "0")

    # Every notice sent is in the database, once per time it was sent.
    rows = query(database_url, "SELECT body, outcome, transaction_id, spool_id FROM payments_returnnotice")
    assert collections.Counter(bytes(body) for body, *_ in rows) == collections.Counter(bodies)
    outcomes = collections.Counter(outcome for _, outcome, _, _ in rows)
    # Every valid P applied exactly once; repeats are duplicates; garbage is malformed.
    assert outcomes == {"applied": TRANSACTIONS, "duplicate": REPEATS, "malformed": GARBAGE}, outcomes
    applied = collections.Counter(transaction for _, outcome, transaction, _ in rows if outcome == "applied")
    assert len(applied) == TRANSACTIONS and set(applied.values()) == {1}
    [(paid_count,)] = query(database_url, "SELECT count(*) FROM payments_transaction WHERE state = 'paid'")
    [(debts_in_progress,)] = query(database_url, "SELECT count(*) FROM debts_debt WHERE state = 'in_progress'")
    assert paid_count == debts_in_progress == TRANSACTIONS
    # The test did test something: notices went through the spool, and directly.
    spooled = sum(1 for *_, spool_id in rows if spool_id is not None)
    assert spooled > 0 and spooled < total
    assert list((workdir / "spool").glob("*.jsonl")) == []  # the spool is empty again
    print(
        f"\nsent {total} (PostgreSQL stopped after {stopped_at} answers, workers killed after {cuts[1]}, "
        f"PostgreSQL restarted after {restarted_at}); spooled {spooled_lines} in {len(spool_files)} files "
        f"({len(spool_files_of_killed)} of killed workers), stored from the spool {spooled}, directly {total - spooled}; "
        f"outcomes {dict(outcomes)}; paid {paid_count}; {time.monotonic() - started:.1f} s\n{replay.stdout.strip()}"
    )
