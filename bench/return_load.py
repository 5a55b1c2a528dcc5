#!/usr/bin/env python
"""Load benchmark of the TIPI return endpoint: a fixed number of returns, hostile and racing.

    make bench-load                              # or: .venv/bin/python bench/return_load.py
    .venv/bin/python bench/return_load.py --requests 5000 --clients 20

What TIPI, a broken relay and a forger together could send, as fast as the portal answers:
--requests returns (20,000) from --clients concurrent connections (50) to one gunicorn on
PostgreSQL, then the database is read back to prove that nothing was lost and nothing paid
twice. The machinery (a fresh database ``tipi_load`` migrated with production settings,
gunicorn with ``bench.settings``, the clean-up) is bench/return_endpoint.py's.

The mix (shares of the requests, positions shuffled, seed --seed):

- 10 % malformed: garbage bodies and well-formed ones with an impossible date;
- 10 % forged: a token that matches no transaction, or a real transaction's token with a
  field changed (amount, REFDET, NUMCLI, e-mail): stored, "unmatched", nothing changes;
- 10 % duplicated: exact repeats of an earlier valid P, sent later;
- 5 % racing P and R: the P and the R of one transaction sent at the same instant, on two
  connections (whichever wins, P must end applied, once);
- 5 % identical P's in parallel: 4 copies of one transaction's P at the same instant;
- the rest: a valid P for a distinct pending transaction.

The client is Python asyncio (raw HTTP/1.1 over asyncio streams, keep-alive, one connection
per concurrent client), not wrk, for two reasons: a race group must leave at the same instant
on as many connections (the dispatcher takes the connections first, then writes them all
before awaiting any answer), which wrk's per-connection request() cannot arrange; and the run
stops after exactly --requests, so that "sent" is exact (wrk runs for a duration; stopping it
after N leaves filler requests or unanswered ones). Its own CPU time is printed: on a small
machine it shares the cores with gunicorn and PostgreSQL, as wrk would.

Printed: sent, answered (by status class), stored, applied, double applications (a
transaction with two applied P notices), 5xx answers, p50/p90/p99/max latency, and the
outcomes against what the bodies sent must give. Goals: stored = sent, 0 double
applications, 0 answers 5xx. Exit status 0 whatever the figures, 2 when the set-up fails.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime
import os
import random
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.return_endpoint import (  # noqa: E402 - the return endpoint's own set-up and checks
    empty_view_answers,
    endpoint_checks,
    gunicorn_command,
    setup_django,
    wait_until_stable,
)
from bench.support import (  # noqa: E402 - the set-up shared by the benchmarks
    SetupError,
    add_database_arguments,
    clean_up,
    create_database,
    database_url,
    free_port,
    gunicorn_pids,
    percentile,
    process_cpu_seconds,
    production_env,
    start_gunicorn,
    stop_gunicorn,
)
from bench.support import idle_load as measure_idle_load  # noqa: E402

RETURN_PATH = "/tipi/retour/"
GARBAGE = (b"", b"garbage", b"\xff\xfe\x00", b"NUMCLI=12&RESULTRANS=Z", b"a=1&a=2", "MEL=é".encode("latin-1"))
PARALLEL_COPIES = 4
SPARES = 300  # transactions only the malformed and forged bodies name: never paid


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser, "tipi_load")
    parser.add_argument("--requests", type=int, default=20_000, help="returns to send (default 20000)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections (default 50)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (default gthread)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (default 4)")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--keep", action="store_true", help="keep the database and the temporary files")
    return parser.parse_args()


# --- The plan: what is sent, in which groups -------------------------------------------------


@dataclass
class Plan:
    groups: list[list[tuple[str, int]]]  # each group leaves at once: (kind, transaction number or -1)
    kinds: collections.Counter  # requests per kind
    paid_transactions: int  # distinct transactions with a valid P sent
    race_pairs: int
    parallel_groups: int


def make_plan(total: int, rng: random.Random) -> Plan:
    share = lambda fraction: round(total * fraction)  # noqa: E731
    malformed, forged, duplicated = share(0.10), share(0.10), share(0.10)
    race_pairs = share(0.05) // 2
    parallel_groups = share(0.05) // PARALLEL_COPIES
    single = total - malformed - forged - duplicated - 2 * race_pairs - PARALLEL_COPIES * parallel_groups
    tx = iter(range(10**9))
    groups: list[list[tuple[str, int]]] = [[("valid", next(tx))] for _ in range(single)]
    groups += [[("race_p", n), ("race_r", n)] for n in (next(tx) for _ in range(race_pairs))]
    groups += [[("parallel", n)] * PARALLEL_COPIES for n in (next(tx) for _ in range(parallel_groups))]
    groups += [[("malformed", -1)] for _ in range(malformed)]
    groups += [[("forged", -1)] for _ in range(forged)]
    rng.shuffle(groups)
    # Repeats come later than their original: pick an original, insert after it.
    singles = [i for i, group in enumerate(groups) if group[0][0] == "valid"]
    inserts: dict[int, list[list[tuple[str, int]]]] = collections.defaultdict(list)
    for _ in range(duplicated):
        original = rng.choice(singles)
        inserts[rng.randint(original + 1, len(groups))].append([("duplicate", groups[original][0][1])])
    merged: list[list[tuple[str, int]]] = []
    for position in range(len(groups) + 1):
        merged += inserts.get(position, [])
        if position < len(groups):
            merged.append(groups[position])
    kinds = collections.Counter(kind for group in merged for kind, _ in group)
    assert sum(kinds.values()) == total
    return Plan(merged, kinds, single + race_pairs + parallel_groups, race_pairs, parallel_groups)


def create_transactions(count: int, rng: random.Random) -> list[dict]:
    """One client, `count` debts and their pending transactions (bulk); the params sent to TIPI."""
    from django.db import transaction as db_transaction
    from django.utils import timezone

    from debts.models import Debt
    from payments.models import TipiClient, Transaction, new_token
    from payments.tipi import Protocol, compose_refdet

    today = timezone.localdate()
    year = str(today.year)
    with db_transaction.atomic():
        client = TipiClient.objects.create(
            numcli="471200", protocol="indigo", label="Commune de Charge-sur-Loire", state=TipiClient.State.ACTIVE
        )
        debts = []
        for number in range(count):
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
        params, transactions = [], []
        for number, debt in enumerate(debts):
            token = new_token()
            sent = {
                "numcli": client.numcli,
                "refdet": debt.refdet,
                "objet": token,
                "montant": str(debt.amount_cents),
                "mel": f"usager{number}@exemple.fr",
                "urlcl": "https://paiement.ville.example" + RETURN_PATH,
                "saisie": "M",
            }
            params.append(sent)
            transactions.append(
                Transaction(
                    token=token,
                    client=client,
                    debt=debt,
                    saisie="M",
                    refdet=debt.refdet,
                    amount_cents=debt.amount_cents,
                    email=sent["mel"],
                    params=sent,
                    url="https://www.payfip.gouv.fr/tpa/paiement.web",
                )
            )
        Transaction.objects.bulk_create(transactions, batch_size=2000)
    return params


def make_bodies(plan: Plan, params: list[dict], rng: random.Random) -> list[list[bytes]]:
    today = datetime.date.today().strftime("%d%m%Y")
    spares = params[plan.paid_transactions :]
    paid_bodies: dict[int, bytes] = {}

    def retour(sent: dict, **overrides: str) -> bytes:
        fields = {
            "NUMCLI": sent["numcli"],
            "REFDET": sent["refdet"],
            "OBJET": sent["objet"],
            "MONTANT": sent["montant"],
            "MEL": sent["mel"],
            "SAISIE": sent["saisie"],
            "RESULTRANS": "P",
            "NUMAUTO": f"{rng.randint(0, 999_999):06d}",
            "DATTRANS": today,
        }
        fields.update(overrides)
        return urlencode(fields).encode()

    def paid(number: int) -> bytes:
        if number not in paid_bodies:
            paid_bodies[number] = retour(params[number])
        return paid_bodies[number]

    def forged() -> bytes:
        target = rng.choice(params)  # a real transaction, paid or not: the forgery must change nothing
        field, value = rng.choice(
            [
                ("OBJET", "Inconnu" + rng.randbytes(9).hex()),
                ("MONTANT", str(int(target["montant"]) + 1)),
                ("REFDET", "2026" + f"{rng.randint(0, 10**14 - 1):014d}"),
                ("NUMCLI", "999999"),
                ("MEL", "pirate@exemple.fr"),
            ]
        )
        return retour(target, **{field: value})

    def malformed() -> bytes:
        if rng.random() < 0.5:
            return rng.choice(GARBAGE)
        return retour(rng.choice(spares), DATTRANS=rng.choice(["31022026", "00012026", "2026-11-22"]))

    makers = {
        "valid": paid,
        "duplicate": paid,
        "parallel": paid,
        "race_p": paid,
        "race_r": lambda n: retour(params[n], RESULTRANS="R", NUMAUTO=""),
        "malformed": lambda _: malformed(),
        "forged": lambda _: forged(),
    }
    return [[makers[kind](number) for kind, number in group] for group in plan.groups]


# --- The client ------------------------------------------------------------------------------


class Client:
    """--clients keep-alive connections; a group takes as many and writes them all at once."""

    def __init__(self, port: int, size: int) -> None:
        self.port = port
        self.size = size
        self.sent = 0
        self.statuses: collections.Counter = collections.Counter()
        self.errors: collections.Counter = collections.Counter()
        self.latencies: list[float] = []

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)

    @staticmethod
    def _request(body: bytes) -> bytes:
        return (
            f"POST {RETURN_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    @staticmethod
    async def _response(reader: asyncio.StreamReader) -> tuple[int, bool]:
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("connection closed before the answer")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            while (size := int((await reader.readline()).split(b";")[0], 16)) > 0:
                await reader.readexactly(size + 2)
            await reader.readline()
        elif length:
            await reader.readexactly(length)
        return status, close

    async def _send(self, body: bytes, connection, pool: asyncio.Queue) -> None:
        reader, writer = connection
        started = time.perf_counter()
        try:
            writer.write(self._request(body))
            await writer.drain()
            self.sent += 1
            status, close = await self._response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            self.errors[type(exc).__name__] += 1
            writer.close()
            connection = None
        else:
            self.latencies.append(time.perf_counter() - started)
            self.statuses[status] += 1
            if close:
                writer.close()
                connection = None
        pool.put_nowait(connection)  # None: the next user opens a new one

    async def run(self, groups: list[list[bytes]]) -> None:
        pool: asyncio.Queue = asyncio.Queue()
        for _ in range(self.size):
            pool.put_nowait(None)
        tasks = set()
        for group in groups:
            connections = [await pool.get() for _ in group]  # all of them first: the group leaves at once
            connections = [c if c is not None else await self._connection() for c in connections]
            for body, connection in zip(group, connections, strict=True):
                task = asyncio.create_task(self._send(body, connection, pool))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        while tasks:
            await asyncio.gather(*list(tasks))
        while not pool.empty():
            connection = pool.get_nowait()
            if connection is not None:
                connection[1].close()


def nearest_rank(values: list[float], fraction: float) -> float:
    """This benchmark's percentile: the value at rank int(fraction × n), NaN for no values."""
    return percentile(values, fraction, interpolate=False)


# --- Main ----------------------------------------------------------------------------------


def report(
    plan: Plan,
    client: Client,
    elapsed: float,
    stored: int,
    spooled: int,
    checks: dict,
    meta: dict,
    args: argparse.Namespace,
) -> None:
    outcomes = checks["outcomes"]
    kinds = plan.kinds
    fivexx = sum(n for status, n in client.statuses.items() if status >= 500)
    fourxx = sum(n for status, n in client.statuses.items() if 400 <= status < 500)
    answered = sum(client.statuses.values())
    r_applied = outcomes.get("applied", 0) - checks["applied_p"]
    expected = collections.Counter(
        {
            "malformed": kinds["malformed"],
            "unmatched": kinds["forged"],
            "duplicate": kinds["duplicate"] + (PARALLEL_COPIES - 1) * plan.parallel_groups,
            "applied": plan.paid_transactions + r_applied,
            "conflict": plan.race_pairs - r_applied,
        }
    )
    print()
    print(
        f"Return endpoint under load — {meta['cores']} cores, PostgreSQL {meta['pg_version']} "
        f"(fsync={meta['fsync']}, synchronous_commit={meta['synchronous_commit']})"
    )
    print(
        f"Machine busy before the run: {meta['idle_load']:.0%} of all cores"
        + (" — other processes were running: latencies are not reliable" if meta["idle_load"] > 0.15 else "")
    )
    print(
        f"gunicorn: {args.workers} workers × {args.worker_class} {args.threads} threads; client: Python asyncio, "
        f"{args.clients} keep-alive connections"
    )
    print(
        f"Mix: {kinds['valid']} valid P, {kinds['duplicate']} duplicated, {plan.race_pairs} P+R races "
        f"({2 * plan.race_pairs} requests), {plan.parallel_groups} × {PARALLEL_COPIES} identical P in parallel "
        f"({PARALLEL_COPIES * plan.parallel_groups} requests), {kinds['malformed']} malformed, {kinds['forged']} forged"
    )
    print()
    print(f"sent                 {client.sent}")
    print(
        f"answered             {answered}  ({', '.join(f'{s}: {n}' for s, n in sorted(client.statuses.items()))})"
        + (f"  connection errors: {dict(client.errors)}" if client.errors else "")
    )
    print(f"stored               {stored}" + (f"  (+ {spooled} in the spool)" if spooled else ""))
    print(
        f"applied              {outcomes.get('applied', 0)}  (P: {checks['applied_p']}, R that won its race: {r_applied})"
    )
    print(f"double applications  {checks['double_applications']}")
    print(f"5xx answers          {fivexx}" + (f"   (4xx: {fourxx})" if fourxx else ""))
    print(
        f"latency ms           p50 {nearest_rank(client.latencies, 0.50) * 1000:.1f}   "
        f"p90 {nearest_rank(client.latencies, 0.90) * 1000:.1f}   p99 {nearest_rank(client.latencies, 0.99) * 1000:.1f}   "
        f"max {max(client.latencies, default=float('nan')) * 1000:.1f}"
    )
    print(
        f"throughput           {answered / elapsed:.0f} req/s over {elapsed:.1f} s; gunicorn CPU "
        f"{meta['gunicorn_cpu_ms']:.2f} ms/request, client CPU {meta['client_cpu_ms']:.2f} ms/request"
    )
    print()
    print("Notices        " + "  ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
    print("Expected       " + "  ".join(f"{k}={v}" for k, v in sorted(expected.items()) if v or k in outcomes))
    print(
        f"Transactions paid: {checks['transactions_paid']} (distinct transactions with a valid P sent: "
        f"{plan.paid_transactions})   debts in progress: {checks['debts_in_progress']}"
    )
    print()
    goals = [
        ("stored = sent", stored == client.sent == args.requests, f"{stored} / {client.sent}"),
        ("0 double applications", checks["double_applications"] == 0, str(checks["double_applications"])),
        (
            "0 answers 5xx",
            fivexx == 0 and not client.errors,
            f"{fivexx}" + (f", {sum(client.errors.values())} connection errors" if client.errors else ""),
        ),
    ]
    checks_list = [
        ("outcomes = expected from the bodies sent", +outcomes == +expected),
        (
            "paid transactions = distinct valid P sent = debts in progress = applied P",
            checks["transactions_paid"] == plan.paid_transactions == checks["debts_in_progress"] == checks["applied_p"],
        ),
        ("every answer is 200", client.statuses == {200: args.requests}),
        ("nothing left unapplied, nothing spooled", outcomes.get("received", 0) == 0 and spooled == 0),
    ]
    print("Goals")
    for label, ok, value in goals:
        print(f"  [{'met' if ok else 'MISSED'}] {label}: {value}")
    print("Checks")
    for label, ok in checks_list:
        print(f"  [{'ok' if ok else 'FAILED'}] {label}")
    print()
    print("All goals met." if all(ok for _, ok, _ in goals) else "Some goals are NOT met.")


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="tipi-load-"))
    gunicorn = None
    db_created = False
    try:
        idle_load = measure_idle_load()
        rng = random.Random(args.seed)
        plan = make_plan(args.requests, rng)
        print(f"Creating database {args.db_name}…", flush=True)
        create_database(args.postgres_url, args.db_name)
        db_created = True
        (workdir / "static").mkdir()
        env = production_env(
            database_url(args.postgres_url, args.db_name),
            settings_module="bench.settings",
            STATIC_ROOT=str(workdir / "static"),
            RETURNS_SPOOL_DIR=str(workdir / "spool"),
        )
        try:
            setup_django(env)
            print(
                f"Creating {plan.paid_transactions + SPARES} debts and transactions, {args.requests} bodies…",
                flush=True,
            )
            params = create_transactions(plan.paid_transactions + SPARES, rng)
            groups = make_bodies(plan, params, rng)
        except Exception as exc:
            raise SetupError(f"migrating or filling {args.db_name} failed: {exc!r}") from exc

        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            meta = {"cores": os.cpu_count(), "idle_load": idle_load}
            for name in ("server_version", "fsync", "synchronous_commit"):
                cursor.execute(f"SHOW {name}")
                meta[name if name != "server_version" else "pg_version"] = cursor.fetchone()[0].split()[0]
        connection.close()

        port = free_port()
        cmd = gunicorn_command(port, args)
        shown_env = " ".join(f"{k}={'…' if k == 'SECRET_KEY' else v}" for k, v in env.items())
        print(f"Starting gunicorn: {shown_env} {shlex.join(cmd)}", flush=True)
        gunicorn = start_gunicorn(cmd, env, workdir / "gunicorn.log", empty_view_answers(port))
        pids = gunicorn_pids(gunicorn)

        print(f"Sending {args.requests} returns from {args.clients} connections…", flush=True)
        client = Client(port, args.clients)
        gunicorn_cpu, client_cpu, t0 = process_cpu_seconds(pids), time.process_time(), time.perf_counter()
        asyncio.run(client.run(groups))
        elapsed = time.perf_counter() - t0
        answered = max(sum(client.statuses.values()), 1)
        meta["gunicorn_cpu_ms"] = (process_cpu_seconds(pids) - gunicorn_cpu) * 1000 / answered
        meta["client_cpu_ms"] = (time.process_time() - client_cpu) * 1000 / answered

        from payments.models import ReturnNotice
        from payments.returns.spool import spool_status

        stored = wait_until_stable(ReturnNotice.objects.count, client.sent)
        wait_until_stable(ReturnNotice.objects.filter(outcome="received").count, 0, limit=10)
        checks = endpoint_checks()
        checks["applied_p"] = ReturnNotice.objects.filter(outcome="applied", resultrans="P").count()
        report(plan, client, elapsed, stored, spool_status()["waiting"], checks, meta, args)
        print()
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
