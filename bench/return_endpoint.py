#!/usr/bin/env python
"""Benchmark of the TIPI return endpoint under gunicorn on PostgreSQL, against two baselines.

    make bench                                   # or: .venv/bin/python bench/return_endpoint.py
    .venv/bin/python bench/return_endpoint.py --duration 5 --threads 8

One run, everything set up here and cleaned up afterwards:

1. a fresh PostgreSQL database (``tipi_bench`` on --postgres-url), migrated with
   production settings (DEBUG=0, a SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, sandbox off…);
   one TIPI client, its debts and pending transactions (bulk), and the bodies to send:
   valid P notices for distinct transactions, exact repeats of some of them, malformed
   ones (garbage, impossible dates) and unknown tokens;
2. one gunicorn serving the project's URLs plus two baselines (bench/urls.py):
   ``/bench/empty/`` (answers "OK") and ``/bench/insert/`` (one durable INSERT of the raw
   body in autocommit), with ``DJANGO_SETTINGS_MODULE=bench.settings``, which is the
   project's settings module with only ROOT_URLCONF changed;
3. wrk, 50 connections, the same Lua script and the same bodies for the three targets,
   each for --duration seconds: empty, insert, then the return endpoint. The script
   counts the requests put on the wire, so that ``stored`` (ReturnNotice rows) can be
   compared with ``sent`` exactly, and the outcomes with what the bodies sent must give.

Worker class: gthread, 4 threads per worker (--threads), for two reasons. The endpoint
waits on PostgreSQL twice per notice (two commits, each waiting for its WAL flush): threads
let a process serve other requests meanwhile, and let PostgreSQL group the commits. And
gthread keeps HTTP connections alive, where the sync worker closes every connection after
one answer (wrk would then measure TCP connects as much as Django). On the 2-core machine
this was written on, the endpoint turned out CPU-bound (≈ 5 ms of gunicorn CPU per notice,
both cores busy): 2, 4 and 8 threads gave the same req/s within noise, so 4 are kept. Each
thread keeps its own PostgreSQL connection (CONN_MAX_AGE): 2 × 4 = 8 connections.

The machine's load is sampled for a second before the run and printed: on a shared machine
the req/s move with the neighbours' load; the "app CPU" column (gunicorn's CPU time per
request) moves much less, and the ratios are taken from one run.

Exit status 0 whatever the figures (they are printed, with the goals); 2 when the set-up
fails (no PostgreSQL, no wrk, gunicorn does not start).
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.support import (  # noqa: E402 - the set-up shared by the benchmarks
    SetupError,
    add_database_arguments,
    busy_share,
    clean_up,
    create_database,
    database_url,
    free_port,
    gunicorn_pids,
    machine_busy,
    process_cpu_seconds,
    production_env,
    start_gunicorn,
    stop_gunicorn,
)
from bench.support import idle_load as measure_idle_load  # noqa: E402

LUA_SCRIPT = ROOT / "bench" / "return_endpoint.lua"
RETURN_PATH = "/tipi/retour/"
TARGETS = (("empty", "/bench/empty/"), ("insert", "/bench/insert/"), ("endpoint", RETURN_PATH))

GOAL_RATIO = 0.5  # endpoint req/s ≥ half the one-INSERT baseline
GOAL_P99_MS = 150.0

# The mix of bodies, by position (cumulative shares): valid P notices for distinct
# transactions, exact repeats of an earlier one, garbage, real-looking with an impossible
# date, and well-formed with a token that matches no transaction.
MIX = (("valid", 0.70), ("duplicate", 0.85), ("garbage", 0.90), ("bad_date", 0.95), ("unknown_token", 1.0))
GARBAGE = (b"", b"garbage", b"\xff\xfe\x00", b"NUMCLI=12&RESULTRANS=Z", b"a=1&a=2", "MEL=é".encode("latin-1"))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser, "tipi_bench")
    parser.add_argument("--duration", type=int, default=10, help="seconds per target (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before measuring (default 2)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections (default 50)")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (default gthread)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (default 4)")
    parser.add_argument("--bodies", type=int, default=24_000, help="distinct bodies prepared (default 24000)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--keep", action="store_true", help="keep the database and the temporary files")
    return parser.parse_args()


# --- Set-up ---------------------------------------------------------------------------


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if shutil.which("apt-get") and os.geteuid() == 0:
        print("Installing Debian's wrk…", flush=True)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": False}
        if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], **quiet)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet)
        path = shutil.which("wrk")
        if path:
            return path
    raise SetupError("wrk is needed (Debian: apt-get install wrk) and could not be installed")


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)  # as a deployment would (the database cache)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_raw (id bigserial PRIMARY KEY, body bytea NOT NULL,"
            " received_at timestamptz NOT NULL DEFAULT now())"
        )


def plan_bodies(count: int, rng: random.Random) -> list[tuple[str, int | None]]:
    """(kind, transaction number or None) per body position; duplicates repeat an earlier valid one."""
    plan: list[tuple[str, int | None]] = []
    valid_positions: list[int] = []
    next_tx = 0
    for position in range(count):
        draw = rng.random()
        kind = next(name for name, share in MIX if draw < share)
        # A repeat comes well after its original (positions ≈ time order across wrk's threads):
        # it repeats one of the 200th to 2000th latest valid ones.
        if kind == "duplicate" and len(valid_positions) <= 200:
            kind = "valid"
        if kind == "valid":
            plan.append(("valid", next_tx))
            valid_positions.append(position)
            next_tx += 1
        elif kind == "duplicate":
            back = rng.randint(200, min(2000, len(valid_positions) - 1))
            plan.append(("duplicate", plan[valid_positions[-back]][1]))
        elif kind == "garbage":
            plan.append(("garbage", None))
        else:
            plan.append((kind, -1))  # a spare transaction, never paid
    return plan


def create_data(plan: list[tuple[str, int | None]], rng: random.Random) -> tuple[list[bytes], int]:
    """The client, debts and transactions (bulk), then the body of each planned position."""
    from django.db import transaction as db_transaction
    from django.utils import timezone

    from debts.models import Debt
    from payments.models import TipiClient, Transaction, new_token
    from payments.tipi import Protocol, compose_refdet

    valid_count = sum(1 for kind, _ in plan if kind == "valid")
    spare_count = 500
    today = timezone.localdate()
    year = str(today.year)
    with db_transaction.atomic():
        client = TipiClient.objects.create(
            numcli="471100", protocol="indigo", label="Commune de Banc-d'Essai", state=TipiClient.State.ACTIVE
        )
        debts = []
        for number in range(valid_count + spare_count):
            parts = {"codexer": year, "numtitre": f"{number + 1:08d}", "numordre": "000001"}
            debts.append(
                Debt(
                    client=client,
                    refdet=compose_refdet(Protocol.INDIGO, **parts),
                    ref_parts=parts,
                    amount_cents=rng.randint(100, 149_999),
                    debtor_ref=f"REF{number:07d}",
                    debtor_name="Usager de test",
                    label="Cantine scolaire",
                    online_from=today - datetime.timedelta(days=3),
                    online_until=today + datetime.timedelta(days=57),
                )
            )
        Debt.objects.bulk_create(debts, batch_size=2000)
        transactions = []
        for number, debt in enumerate(debts):
            token = new_token()
            email = f"usager{number}@exemple.fr"
            params = {
                "numcli": client.numcli,
                "refdet": debt.refdet,
                "objet": token,
                "montant": str(debt.amount_cents),
                "mel": email,
                "urlcl": "https://paiement.ville.example" + RETURN_PATH,
                "saisie": "M",
            }
            transactions.append(
                Transaction(
                    token=token,
                    client=client,
                    debt=debt,
                    saisie="M",
                    refdet=debt.refdet,
                    amount_cents=debt.amount_cents,
                    email=email,
                    params=params,
                    url="https://www.payfip.gouv.fr/tpa/paiement.web",
                )
            )
        Transaction.objects.bulk_create(transactions, batch_size=2000)

    def retour(tx: Transaction, **overrides: str) -> bytes:
        fields = {
            "NUMCLI": tx.params["numcli"],
            "REFDET": tx.params["refdet"],
            "OBJET": tx.params["objet"],
            "MONTANT": tx.params["montant"],
            "MEL": tx.params["mel"],
            "SAISIE": tx.params["saisie"],
            "RESULTRANS": "P",
            "NUMAUTO": f"{rng.randint(0, 999_999):06d}",
            "DATTRANS": today.strftime("%d%m%Y"),
        }
        fields.update(overrides)
        return urlencode(fields).encode()

    spares = transactions[valid_count:]
    paid_bodies: dict[int, bytes] = {}
    bodies: list[bytes] = []
    for kind, tx_number in plan:
        if kind == "valid":
            paid_bodies[tx_number] = retour(transactions[tx_number])
            bodies.append(paid_bodies[tx_number])
        elif kind == "duplicate":
            bodies.append(paid_bodies[tx_number])
        elif kind == "garbage":
            bodies.append(rng.choice(GARBAGE))
        elif kind == "bad_date":
            bodies.append(retour(rng.choice(spares), DATTRANS=rng.choice(["31022026", "00012026", "2026-11-22"])))
        else:
            bodies.append(retour(rng.choice(spares), OBJET="Inconnu" + new_token()))
    return bodies, valid_count


def write_bodies(bodies: list[bytes], path: Path) -> None:
    """One body per line for the Lua script; "\\", CR, LF and non-printable bytes as \\xHH."""
    with path.open("wb") as out:
        for body in bodies:
            escaped = bytearray()
            for byte in body:
                if 0x20 <= byte < 0x7F and byte != 0x5C:
                    escaped.append(byte)
                else:
                    escaped += f"\\x{byte:02x}".encode()
            out.write(bytes(escaped) + b"\n")


# --- gunicorn and wrk -------------------------------------------------------------------


def gunicorn_command(port: int, args: argparse.Namespace) -> list[str]:
    from bench.support import gunicorn_command as command

    return command(
        "tipiportal.wsgi:application", port, workers=args.workers, worker_class=args.worker_class, threads=args.threads
    )


def empty_view_answers(port: int):
    """gunicorn is ready when /bench/empty/ answers 200."""

    def ready() -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/empty/", timeout=2) as response:
            return response.status == 200

    return ready


def run_wrk(
    wrk: str, port: int, path: str, seconds: int, args: argparse.Namespace, bodies: Path, workdir: Path, name: str
) -> dict:
    out = workdir / f"wrk-{name}.json"
    cmd = [
        wrk,
        f"-t{args.wrk_threads}",
        f"-c{args.clients}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_SCRIPT),
        f"http://127.0.0.1:{port}{path}",
    ]
    env = {
        **os.environ,
        "BENCH_BODIES": str(bodies),
        "BENCH_PATH": path,
        "BENCH_THREADS": str(args.wrk_threads),
        "BENCH_OUT": str(out),
    }
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not out.exists():
        raise SetupError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    result = json.loads(out.read_text())
    result["sent"] = sum(thread["sent"] for thread in result["threads"])
    result["rps"] = result["completed"] / (result["duration_us"] / 1e6)
    result["command"] = shlex.join(cmd)
    return result


def wait_until_stable(count, expected: int, limit: float = 20.0) -> int:
    """Requests still in flight when wrk stopped are finished by gunicorn: wait for them."""
    deadline = time.monotonic() + limit
    last, since = count(), time.monotonic()
    while time.monotonic() < deadline and last != expected:
        time.sleep(0.2)
        now = count()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > 3:
            break
    return last


# --- Checks -------------------------------------------------------------------------


def expected_outcomes(
    plan: list[tuple[str, int | None]], threads: list[dict], nthreads: int
) -> tuple[collections.Counter, list[int]]:
    """What the bodies wrk sent must give: thread k sent positions k, k+T, … (cycling)."""
    sent_positions: list[int] = []
    for thread in threads:
        positions = range(thread["id"], len(plan), nthreads)
        sent_positions += [positions[i % len(positions)] for i in range(thread["sent"])]
    expected: collections.Counter = collections.Counter()
    paid = set()
    for position in sent_positions:
        kind, tx_number = plan[position]
        if kind in ("valid", "duplicate"):
            expected["applied" if tx_number not in paid else "duplicate"] += 1
            paid.add(tx_number)
        elif kind in ("garbage", "bad_date"):
            expected["malformed"] += 1
        else:
            expected["unmatched"] += 1
    return expected, sent_positions


def endpoint_checks() -> dict:
    from django.db.models import Count

    from debts.models import Debt
    from payments.models import ReturnNotice, Transaction

    outcomes = collections.Counter(dict(ReturnNotice.objects.values_list("outcome").annotate(n=Count("id"))))
    doubles = (
        ReturnNotice.objects.filter(outcome="applied", resultrans="P")
        .values("transaction")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return {
        "outcomes": outcomes,
        "double_applications": doubles,
        "transactions_paid": Transaction.objects.filter(state=Transaction.State.PAID).count(),
        "debts_in_progress": Debt.objects.filter(state=Debt.State.IN_PROGRESS).count(),
    }


# --- Report -------------------------------------------------------------------------


def report(
    results: dict[str, dict],
    stored: dict[str, int],
    checks: dict,
    expected: collections.Counter,
    args: argparse.Namespace,
    meta: dict,
) -> None:
    empty, insert, endpoint = results["empty"], results["insert"], results["endpoint"]
    print()
    print(
        f"Return endpoint benchmark — {meta['cores']} cores, PostgreSQL {meta['pg_version']} "
        f"(fsync={meta['fsync']}, synchronous_commit={meta['synchronous_commit']})"
    )
    print(
        f"Machine busy before the run: {meta['idle_load']:.0%} of both cores"
        + (" — other processes were running: the figures are not reliable" if meta["idle_load"] > 0.15 else "")
    )
    print(
        f"gunicorn: {args.workers} workers × {args.worker_class} {args.threads} threads; wrk: {args.clients} connections, "
        f"{args.wrk_threads} threads, {args.duration} s per target; {meta['bodies']} bodies prepared"
    )
    print()
    header = (
        f"{'target':<20}{'req/s':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'max ms':>8}{'sent':>8}"
        f"{'stored':>8}{'errors':>7}{'app CPU':>9}{'machine':>9}"
    )
    print(header)
    print("-" * len(header))
    labels = {"empty": "empty view", "insert": "one-INSERT view", "endpoint": "return endpoint"}
    for name, result in results.items():
        errors = sum(result["errors"].values())
        print(
            f"{labels[name]:<20}{result['rps']:>8.0f}{result['p50_us'] / 1000:>8.1f}{result['p90_us'] / 1000:>8.1f}"
            f"{result['p99_us'] / 1000:>8.1f}{result['max_us'] / 1000:>8.1f}{result['sent']:>8}"
            f"{stored.get(name, '–')!s:>8}{errors:>7}{result['gunicorn_cpu_ms']:>7.2f}ms"
            f"{result['machine_busy']:>8.0%}"
        )
    print("(app CPU: gunicorn's CPU time per request answered; machine: share of both cores busy, all processes)")
    ratio_insert = endpoint["rps"] / insert["rps"]
    ratio_empty = endpoint["rps"] / empty["rps"]
    print()
    print(f"endpoint / one-INSERT : {ratio_insert:.2f}")
    print(f"endpoint / empty      : {ratio_empty:.2f}")
    print(f"one-INSERT / empty    : {insert['rps'] / empty['rps']:.2f}")
    print()
    outcomes = checks["outcomes"]
    print("Notices        " + "  ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
    print("Expected       " + "  ".join(f"{k}={v}" for k, v in sorted(expected.items())))
    print(f"Double applications (a transaction with two applied P notices): {checks['double_applications']}")
    print(
        f"Transactions paid: {checks['transactions_paid']}   debts in progress: {checks['debts_in_progress']}   "
        f"(applied P notices: {outcomes.get('applied', 0)})"
    )
    print()
    stored_ok = stored["endpoint"] == endpoint["sent"]
    goals = [
        (f"endpoint ≥ {GOAL_RATIO} × one-INSERT baseline", ratio_insert >= GOAL_RATIO, f"{ratio_insert:.2f}"),
        (
            f"endpoint p99 < {GOAL_P99_MS:.0f} ms",
            endpoint["p99_us"] / 1000 < GOAL_P99_MS,
            f"{endpoint['p99_us'] / 1000:.1f} ms",
        ),
        ("stored = sent", stored_ok, f"{stored['endpoint']} / {endpoint['sent']}"),
    ]
    consistency = [
        (
            "outcomes = expected from the bodies sent",
            all(outcomes.get(k, 0) == v for k, v in expected.items())
            and sum(outcomes.values()) == sum(expected.values()),
            "",
        ),
        ("no double application", checks["double_applications"] == 0, ""),
        (
            "paid transactions = debts in progress = applied",
            checks["transactions_paid"] == checks["debts_in_progress"] == outcomes.get("applied", 0),
            "",
        ),
        ("no HTTP or socket error", all(sum(r["errors"].values()) == 0 for r in results.values()), ""),
    ]
    print("Goals")
    for label, ok, value in goals:
        print(f"  [{'met' if ok else 'MISSED'}] {label}" + (f": {value}" if value else ""))
    print("Checks")
    for label, ok, _ in consistency:
        print(f"  [{'ok' if ok else 'FAILED'}] {label}")
    met = all(ok for _, ok, _ in goals)
    print()
    print("All goals met." if met else "Some goals are NOT met.")


# --- Main ---------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="tipi-bench-"))
    gunicorn = None
    db_created = False
    try:
        wrk = ensure_wrk()
        idle_load = measure_idle_load()
        rng = random.Random(args.seed)
        print(f"Creating database {args.db_name}…", flush=True)
        create_database(args.postgres_url, args.db_name)
        db_created = True
        (workdir / "static").mkdir()
        env = production_env(
            database_url(args.postgres_url, args.db_name),
            settings_module="bench.settings",
            STATIC_ROOT=str(workdir / "static"),
        )  # empty: nothing static is served here
        plan = plan_bodies(args.bodies, rng)
        try:
            setup_django(env)
            print(
                f"Creating {sum(1 for k, _ in plan if k == 'valid') + 500} debts and transactions, {len(plan)} bodies…",
                flush=True,
            )
            bodies, _ = create_data(plan, rng)
        except Exception as exc:
            raise SetupError(f"migrating or filling {args.db_name} failed: {exc!r}") from exc
        bodies_path = workdir / "bodies.txt"
        write_bodies(bodies, bodies_path)

        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0].split()[0]
            cursor.execute("SHOW fsync")
            fsync = cursor.fetchone()[0]
            cursor.execute("SHOW synchronous_commit")
            synchronous_commit = cursor.fetchone()[0]
        connection.close()

        port = free_port()
        cmd = gunicorn_command(port, args)
        shown_env = " ".join(f"{k}={'…' if k == 'SECRET_KEY' else v}" for k, v in env.items())
        print(f"Starting gunicorn: {shown_env} {shlex.join(cmd)}", flush=True)
        gunicorn = start_gunicorn(cmd, env, workdir / "gunicorn.log", empty_view_answers(port))

        def raw_rows() -> int:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM bench_raw")
                return cursor.fetchone()[0]

        if args.warmup:
            # Opens every thread's database connection (CONN_MAX_AGE) before anything is measured.
            run_wrk(wrk, port, "/bench/insert/", args.warmup, args, bodies_path, workdir, "warmup")
            time.sleep(0.5)
        results: dict[str, dict] = {}
        stored: dict[str, int] = {}
        for name, path in TARGETS:
            before = raw_rows() if name == "insert" else 0
            print(f"wrk → {path} for {args.duration} s…", flush=True)
            pids = gunicorn_pids(gunicorn)
            cpu_before, busy_before = process_cpu_seconds(pids), machine_busy()
            results[name] = run_wrk(wrk, port, path, args.duration, args, bodies_path, workdir, name)
            busy_after = machine_busy()
            results[name]["gunicorn_cpu_ms"] = (
                (process_cpu_seconds(pids) - cpu_before) * 1000 / max(results[name]["completed"], 1)
            )
            results[name]["machine_busy"] = busy_share(busy_before, busy_after)
            if name == "insert":
                stored[name] = wait_until_stable(lambda before=before: raw_rows() - before, results[name]["sent"])
            time.sleep(0.5)

        from payments.models import ReturnNotice

        stored["endpoint"] = wait_until_stable(ReturnNotice.objects.count, results["endpoint"]["sent"])
        wait_until_stable(ReturnNotice.objects.filter(outcome="received").count, 0, limit=10)
        expected, _ = expected_outcomes(plan, results["endpoint"]["threads"], args.wrk_threads)
        checks = endpoint_checks()
        meta = {
            "cores": os.cpu_count(),
            "pg_version": pg_version,
            "fsync": fsync,
            "synchronous_commit": synchronous_commit,
            "bodies": len(bodies),
            "idle_load": idle_load,
        }
        report(results, stored, checks, expected, args, meta)
        print()
        print(f"wrk command (per target): {results['endpoint']['command']}")
        print(f"Ran in {time.monotonic() - started:.0f} s.")
        return 0
    except SetupError as exc:
        print(f"Set-up failed: {exc}", file=sys.stderr)
        return 2
    finally:
        stop_gunicorn(gunicorn)
        clean_up(args, workdir, db_created)


if __name__ == "__main__":
    sys.exit(main())
