"""The set-up shared by the benchmark scripts in bench/: a throw-away PostgreSQL database, a
production-like environment, ``manage.py`` in a child process, gunicorn on a free port, the
machine's load, percentiles and the clean-up.

Nothing here measures anything: each script keeps its own timing and its own report.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


class SetupError(Exception):
    """The set-up failed (no PostgreSQL, gunicorn does not start…): the scripts exit 2."""


# --- Arguments ------------------------------------------------------------------------


def add_database_arguments(parser: argparse.ArgumentParser, db_name: str) -> None:
    """--postgres-url (default $BENCH_POSTGRES_URL, $TEST_POSTGRES_URL or local postgres) and --db-name."""
    default_pg = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get(
        "TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--postgres-url", default=default_pg, help="a database to connect to for CREATE DATABASE")
    parser.add_argument("--db-name", default=db_name)


# --- The database ---------------------------------------------------------------------


def database_url(base: str, name: str) -> str:
    """``base`` (a PostgreSQL URL) pointing at the database ``name`` instead."""
    return urlunsplit(urlsplit(base)._replace(path="/" + name))


def _admin(admin_url: str, *statements) -> None:
    import psycopg

    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            for statement in statements:
                conn.execute(statement)
    except psycopg.OperationalError as exc:
        raise SetupError(f"PostgreSQL at {admin_url} does not answer: {exc}".strip()) from exc


def create_database(admin_url: str, name: str) -> None:
    """Drop ``name`` if it exists (with FORCE), then create it empty. SetupError if PostgreSQL does not answer."""
    from psycopg import sql

    _admin(
        admin_url,
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
        sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)),
    )


def drop_database(admin_url: str, name: str) -> None:
    """Drop ``name`` if it exists (with FORCE). SetupError if PostgreSQL does not answer."""
    from psycopg import sql

    _admin(admin_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# --- The environment and manage.py ----------------------------------------------------


def production_env(db_url: str, *, settings_module: str = "tipiportal.settings", **extra: str | None) -> dict[str, str]:
    """The environment of a production deployment, for this database (and of nothing else).

    ``extra`` adds variables after the common ones (in that order) or overrides them; a
    variable given as None is left out."""
    env = {
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",  # no TLS proxy in front of the benchmark
        "TIPI_SANDBOX": "0",
        "DATABASE_URL": db_url,
        "PORTAL_PUBLIC_URL": "https://paiement.ville.example",
        # As documented for production: TIPI's returns allowed from its address only (here the
        # load generator's), and an e-mail backend that sends nothing.
        "TIPI_RETURN_ALLOWED_IPS": "127.0.0.1",
        "EMAIL_URL": "dummymail://",
    }
    env.update(extra)
    return {name: value for name, value in env.items() if value is not None}


def child_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a child process: only PATH, HOME, LANG, LC_ALL and TZ of ours, and PYTHONPATH=ROOT."""
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "LC_ALL", "TZ") if name in os.environ}
    return {**keep, **env, "PYTHONPATH": str(ROOT)}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``manage.py *args`` in a child process with ``child_env(env)``; SetupError if it fails."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=child_env(env), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SetupError(f"{args[0]} failed:\n{done.stderr[-3000:]}")
    return done


# --- gunicorn -------------------------------------------------------------------------


def free_port(host: str = HOST) -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def gunicorn_command(app: str, port: int, *, workers: int, worker_class: str, threads: int | None = None) -> list[str]:
    """The gunicorn command line serving ``app`` on 127.0.0.1:``port`` from the project's root."""
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--chdir",
        str(ROOT),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
    ]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    return cmd + ["--no-control-socket"]  # gunicorn ≥ 24 would otherwise create ~/.gunicorn/gunicorn.ctl


def tail(path: Path, lines: int = 20) -> str:
    """The last ``lines`` lines of a text file ("" if it cannot be read)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_gunicorn(cmd: list[str], env: dict[str, str], log_path: Path, ready: Callable[[], bool]) -> subprocess.Popen:
    """Start ``cmd`` (own session, output into log_path) and wait up to 30 s until ``ready()`` is true.

    ``ready`` may raise OSError while gunicorn is not listening yet; SetupError if gunicorn exits
    or does not answer in time."""
    log = log_path.open("wb")
    process = subprocess.Popen(
        cmd, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError(f"gunicorn exited ({process.returncode}):\n{tail(log_path)}")
        try:
            if ready():
                return process
        except OSError:  # urllib's URLError and socket timeouts included
            pass
        time.sleep(0.2)
    stop_gunicorn(process)
    raise SetupError(f"gunicorn did not answer within 30 s:\n{tail(log_path)}")


def stop_gunicorn(process: subprocess.Popen | None) -> None:
    """SIGTERM to the master (it stops its workers gracefully); SIGKILL to its session after 20 s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: the master and its workers only
        process.wait()


@contextlib.contextmanager
def gunicorn(
    cmd: list[str], env: dict[str, str], log_path: Path, ready: Callable[[], bool]
) -> Iterator[subprocess.Popen]:
    """``start_gunicorn`` as a context manager: stopped on leaving the block."""
    process = start_gunicorn(cmd, env, log_path, ready)
    try:
        yield process
    finally:
        stop_gunicorn(process)


def gunicorn_pids(master: subprocess.Popen) -> list[int]:
    """The master's pid and its workers' (Linux /proc)."""
    try:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    except OSError:
        children = []
    return [master.pid, *map(int, children)]


def process_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (Linux /proc), 0 for the ones gone."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


# --- The machine's load and percentiles -----------------------------------------------


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU ticks of the whole machine since boot (Linux /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def busy_share(before: tuple[float, float], after: tuple[float, float]) -> float:
    """The share of all cores busy between two ``machine_busy()`` readings."""
    return (after[0] - before[0]) / max(after[1] - before[1], 1)


def idle_load(seconds: float = 1) -> float:
    """The share of all cores busy over the next ``seconds`` (before a run: the neighbours' load)."""
    before = machine_busy()
    time.sleep(seconds)
    return busy_share(before, machine_busy())


def percentile(values: list[float], q: float, *, interpolate: bool = True) -> float:
    """The ``q`` quantile (0 ≤ q ≤ 1) of ``values``.

    interpolate=True: linear interpolation between closest ranks (numpy's default);
    False: the value at rank int(q × n) (nearest rank from below), NaN for no values."""
    ordered = sorted(values)
    if not interpolate:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- Clean-up -------------------------------------------------------------------------


def clean_up(args: argparse.Namespace, workdir: Path, db_created: bool, *, close_django: bool = True) -> None:
    """After a run: close Django's connections, drop the database and remove ``workdir``, unless --keep."""
    if close_django and "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()
    if db_created and not args.keep:
        try:
            drop_database(args.postgres_url, args.db_name)
        except SetupError as exc:
            print(f"Could not drop {args.db_name}: {exc}", file=sys.stderr)
    if args.keep:
        print(f"Kept: database {args.db_name}, files in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
