#!/usr/bin/env python
"""Benchmark of PayFiP's notification endpoint (urlnotif) under gunicorn on PostgreSQL.

    make bench-payfip                            # or: .venv/bin/python bench/payfip_notify.py
    .venv/bin/python bench/payfip_notify.py --duration 5

The set-up of bench/return_endpoint.py (its functions reused): a fresh PostgreSQL database
migrated with production settings, one gunicorn (2 workers × gthread 4 threads) serving the
project's URLs and the two baselines of bench/urls.py, wrk with 50 connections and the same
Lua script. Targets, in one run: the empty view, the one-INSERT view, then /payfip/notification/.

The notification stores the raw POST (one autocommitted INSERT, after a SELECT of the idOp)
and, for an idOp of the portal with no check queued yet, queues one (a conditional UPDATE and
the task's INSERT, committed without waiting for the disk flush). Nothing else: PayFiP is asked
by the worker, which does not run here. The bodies: first notifications of distinct web-service
transactions, repeats of an earlier one (a check is already queued), unknown idOps, garbage.

Goals (issue 12 §5): ≥ 0.8 × the one-INSERT baseline's req/s, p99 < 100 ms; and checks: every
request stored, one queued check per transaction notified, no transaction changed (a
notification is never a result). Exit status 0 whatever the figures; 2 when the set-up fails.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shlex
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.return_endpoint import (  # noqa: E402 - the same set-up, wrk script and figures
    empty_view_answers,
    ensure_wrk,
    gunicorn_command,
    run_wrk,
    setup_django,
    wait_until_stable,
    write_bodies,
)
from bench.support import (  # noqa: E402
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

NOTIFY_PATH = "/payfip/notification/"
TARGETS = (("empty", "/bench/empty/"), ("insert", "/bench/insert/"), ("endpoint", NOTIFY_PATH))
GOAL_RATIO = 0.8
GOAL_P99_MS = 100.0
MIX = (("first", 0.75), ("repeat", 0.90), ("unknown", 0.95), ("garbage", 1.0))
GARBAGE = (b"", b"garbage", b"\xff\xfe\x00", b"idop=", b"resultrans=P&numauto=123456", b"a=1&a=2")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser, "tipi_bench_payfip")
    parser.add_argument("--duration", type=int, default=10, help="seconds per target (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before measuring (default 2)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections (default 50)")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (default gthread)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (default 4)")
    parser.add_argument("--bodies", type=int, default=24_000, help="distinct bodies prepared (default 24000)")
    parser.add_argument("--seed", type=int, default=20261208)
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: any free one)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the temporary files")
    return parser.parse_args()


def plan_and_create(count: int, rng: random.Random) -> tuple[list[tuple[str, int | None]], list[bytes]]:
    """The bodies by position, and the web-service transactions they notify (bulk)."""
    from django.db import transaction as db_transaction

    from payments.models import TipiClient, Transaction

    plan: list[tuple[str, int | None]] = []
    firsts = 0
    for _ in range(count):
        draw = rng.random()
        kind = next(name for name, share in MIX if draw < share)
        if kind == "repeat" and firsts < 200:
            kind = "first"
        if kind == "first":
            plan.append(("first", firsts))
            firsts += 1
        elif kind == "repeat":
            plan.append(("repeat", firsts - rng.randint(100, min(2000, firsts))))
        else:
            plan.append((kind, None))
    with db_transaction.atomic():
        client = TipiClient.objects.create(
            numcli="471200", protocol="indigo", label="Régie de Banc-d'Essai", state=TipiClient.State.ACTIVE
        )
        transactions = []
        for number in range(firsts):
            idop = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            email = f"usager{number}@exemple.fr"
            sent = {"numcli": client.numcli, "exer": "2026", "refdet": f"FACT{number:08d}", "montant": "1250",
                    "mel": email, "saisie": "W"}  # fmt: skip
            transactions.append(
                Transaction(client=client, saisie="M", refdet=sent["refdet"], amount_cents=1250, email=email,
                            params=sent, url=f"https://www.payfip.gouv.fr/tpa/paiementws.web?idop={idop}", idop=idop)
            )  # fmt: skip
        Transaction.objects.bulk_create(transactions, batch_size=2000)
    bodies = []
    for kind, number in plan:
        if kind in ("first", "repeat"):
            bodies.append(f"idop={transactions[number].idop}".encode())
        elif kind == "unknown":
            bodies.append(f"idOp={uuid.UUID(int=rng.getrandbits(128), version=4)}".encode())
        else:
            bodies.append(rng.choice(GARBAGE))
    return plan, bodies


def expected_counts(plan, threads: list[dict], nthreads: int) -> tuple[collections.Counter, int]:
    """The outcomes the bodies wrk sent must give, and how many distinct transactions they notify."""
    expected: collections.Counter = collections.Counter()
    notified = set()
    for thread in threads:
        positions = range(thread["id"], len(plan), nthreads)
        for i in range(thread["sent"]):
            kind, number = plan[positions[i % len(positions)]]
            if kind in ("first", "repeat"):
                expected["check"] += 1
                notified.add(number)
            else:
                expected["unknown" if kind == "unknown" else "no_idop"] += 1
    return expected, len(notified)


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="payfip-bench-"))
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
            database_url(args.postgres_url, args.db_name), settings_module="bench.settings",
            STATIC_ROOT=str(workdir / "static"),
        )  # fmt: skip
        try:
            setup_django(env)
            plan, bodies = plan_and_create(args.bodies, rng)
        except Exception as exc:
            raise SetupError(f"migrating or filling {args.db_name} failed: {exc!r}") from exc
        bodies_path = workdir / "bodies.txt"
        write_bodies(bodies, bodies_path)

        from django.db import connection
        from django_tasks_db.models import DBTaskResult

        from payments.models import PayfipMessage, Transaction

        connection.close()
        port = args.port or free_port()
        cmd = gunicorn_command(port, args)
        print(f"Starting gunicorn: {shlex.join(cmd)}", flush=True)
        gunicorn = start_gunicorn(cmd, env, workdir / "gunicorn.log", empty_view_answers(port))

        def raw_rows() -> int:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM bench_raw")
                return cursor.fetchone()[0]

        if args.warmup:
            run_wrk(wrk, port, "/bench/insert/", args.warmup, args, bodies_path, workdir, "warmup")
            time.sleep(0.5)
        results: dict[str, dict] = {}
        stored: dict[str, int] = {}
        for name, path in TARGETS:
            before = raw_rows() if name == "insert" else 0
            print(f"wrk → {path} for {args.duration} s…", flush=True)
            pids = gunicorn_pids(gunicorn)
            cpu_before, busy_before = process_cpu_seconds(pids), machine_busy()
            result = results[name] = run_wrk(wrk, port, path, args.duration, args, bodies_path, workdir, name)
            result["machine_busy"] = busy_share(busy_before, machine_busy())
            result["gunicorn_cpu_ms"] = (process_cpu_seconds(pids) - cpu_before) * 1000 / max(result["completed"], 1)
            if name == "insert":
                stored[name] = wait_until_stable(lambda before=before: raw_rows() - before, result["sent"])
            time.sleep(0.5)
        stored["endpoint"] = wait_until_stable(PayfipMessage.objects.count, results["endpoint"]["sent"])
        expected, notified = expected_counts(plan, results["endpoint"]["threads"], args.wrk_threads)
        outcomes = collections.Counter(PayfipMessage.objects.values_list("outcome", flat=True))
        queued = DBTaskResult.objects.filter(task_path__endswith="payfip_check_task").count()
        changed = (
            Transaction.objects.exclude(state="pending").count() + Transaction.objects.exclude(resultrans="").count()
        )

        print()
        print(f"PayFiP notification benchmark — {os.cpu_count()} cores; machine busy before the run: {idle_load:.0%}")
        print(f"gunicorn: {args.workers} workers × {args.worker_class} {args.threads} threads; wrk: {args.clients} "
              f"connections, {args.wrk_threads} threads, {args.duration} s per target")  # fmt: skip
        header = f"{'target':<22}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'sent':>8}{'stored':>8}{'errors':>7}{'app CPU':>9}"
        print(header)
        print("-" * len(header))
        for name, result in results.items():
            print(
                f"{name:<22}{result['rps']:>8.0f}{result['p50_us'] / 1000:>8.1f}{result['p99_us'] / 1000:>8.1f}"
                f"{result['max_us'] / 1000:>8.1f}{result['sent']:>8}{stored.get(name, '–')!s:>8}"
                f"{sum(result['errors'].values()):>7}{result['gunicorn_cpu_ms']:>7.2f}ms"
            )
        ratio = results["endpoint"]["rps"] / results["insert"]["rps"]
        p99 = results["endpoint"]["p99_us"] / 1000
        print()
        print(f"endpoint / one-INSERT : {ratio:.2f}")
        print("Messages  " + "  ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
        print("Expected  " + "  ".join(f"{k}={v}" for k, v in sorted(expected.items())))
        print(f"Checks queued: {queued} for {notified} transactions notified; transactions changed: {changed}")
        print()
        lines = [
            (f"endpoint ≥ {GOAL_RATIO} × one-INSERT baseline", ratio >= GOAL_RATIO, f"{ratio:.2f}"),
            (f"endpoint p99 < {GOAL_P99_MS:.0f} ms", p99 < GOAL_P99_MS, f"{p99:.1f} ms"),
            ("stored = sent", stored["endpoint"] == results["endpoint"]["sent"], ""),
            ("outcomes = expected", outcomes == expected, ""),
            ("one queued check per transaction notified", queued == notified, ""),
            ("no transaction changed by a notification", changed == 0, ""),
            ("no HTTP or socket error", all(sum(r["errors"].values()) == 0 for r in results.values()), ""),
        ]
        for label, ok, value in lines:
            print(f"  [{'ok' if ok else 'MISSED'}] {label}" + (f": {value}" if value else ""))
        print(
            f"\nwrk command (per target): {results['endpoint']['command']}\nRan in {time.monotonic() - started:.0f} s."
        )
        return 0
    except SetupError as exc:
        print(f"Set-up failed: {exc}", file=sys.stderr)
        return 2
    finally:
        stop_gunicorn(gunicorn)
        clean_up(args, workdir, db_created)


if __name__ == "__main__":
    sys.exit(main())
