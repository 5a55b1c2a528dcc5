#!/usr/bin/env python
"""Benchmark of the staff exports (/gestion/suivi/exports/dettes.csv and .xlsx) on PostgreSQL.

    .venv/bin/python bench/exports.py                    # 100,000 debts
    .venv/bin/python bench/exports.py --debts 16000      # the issue's figure

One run, everything set up here and cleaned up afterwards:

1. a fresh PostgreSQL database (``tipi_bench_exports`` on --postgres-url), migrated with
   production settings, holding --debts debts of one TIPI client (names, labels, dates as an
   import fills them) and an agent;
2. each measure in a fresh Python process (so that its peak RSS, VmHWM from /proc, is its own),
   ``django.setup()`` then:
   - **baseline**: the export's rows read and guarded (``debt_export_rows`` of the same
     queryset, ``cell_safe`` on every value) and dropped: the database reads and the Python
     work every export does, without a file;
   - **csv** / **xlsx**: GET of the export's URL through ``django.test.Client`` (the whole
     middleware stack, ``agent_required``, the view), its streamed body read chunk by chunk
     and dropped, as a WSGI server sends it;
3. the report: seconds and peak RSS of each, and each export's excess over the baseline.

The goal: memory that does not grow with the number of debts (the exports stream: CSV row by
row, XLSX through openpyxl's write-only mode into a temporary file).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import support

MEASURES = ("baseline", "csv", "xlsx")


def _peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def child_populate(count: int) -> None:
    import django

    django.setup()
    import datetime

    from django.db import connection
    from faker import Faker

    from debts.models import Debt
    from payments.models import TipiClient
    from payments.tipi import compose_refdet
    from tipiportal.roles import AGENTS, staff_member_create

    fake = Faker("fr_FR")
    Faker.seed(14)
    client = TipiClient.objects.create(
        numcli="123456", protocol="indigo", label="Restauration scolaire", state="active"
    )
    start = datetime.date(2026, 9, 1)
    names = [fake.name().upper() for _ in range(500)]
    labels = [fake.sentence(nb_words=4) for _ in range(200)]
    batch = []
    for number in range(count):
        parts = {"codexer": "2026", "numtitre": f"{number + 1:08d}", "numordre": "000001"}
        online_from = start + datetime.timedelta(days=number % 90)
        batch.append(
            Debt(
                client=client,
                ref_parts=parts,
                refdet=compose_refdet(client.tipi_protocol, **parts),
                amount_cents=100 + number * 37 % 150_000,
                debtor_ref=f"REF{number % 40_000:07d}",
                debtor_name=names[number % len(names)],
                debtor_address="12 RUE DE LA MAIRIE\n42000 SAINT-ÉTIENNE",
                label=labels[number % len(labels)],
                issued_on=online_from,
                online_from=online_from,
                online_until=online_from + datetime.timedelta(days=60),
                raw_record="X" * 250,
            )
        )
        if len(batch) == 5000:
            Debt.objects.bulk_create(batch)
            batch = []
    Debt.objects.bulk_create(batch)
    staff_member_create(username="bench-agent", email="agent@ville.example", password=None, role=AGENTS)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def child_measure(measure: str) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from debts.selectors import debts_for_staff
    from staff.followup.selectors import debt_export_rows
    from tipiportal.exports import cell_safe

    started = time.perf_counter()
    size = rows = 0
    if measure == "baseline":
        for row in debt_export_rows(debts_for_staff(today=timezone.localdate())):
            rows += len([cell_safe(value) for value in row]) > 0
    else:
        client = Client(HTTP_HOST=support.HOST)
        client.force_login(get_user_model().objects.get(username="bench-agent"))
        started = time.perf_counter()
        response = client.get(f"/gestion/suivi/exports/dettes.{measure}")
        if response.status_code != 200:
            raise SystemExit(f"GET dettes.{measure}: {response.status_code}")
        for chunk in response.streaming_content:
            size += len(chunk)
        response.close()
    seconds = time.perf_counter() - started
    print(json.dumps({"measure": measure, "seconds": seconds, "rss_mb": _peak_rss_mb(), "bytes": size, "rows": rows}))


def run_child(args: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, *args],
        cwd=support.ROOT,
        env=support.child_env(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise support.SetupError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--debts", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database and the work directory")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    support.add_database_arguments(parser, "tipi_bench_exports")
    args = parser.parse_args(argv)
    if args.child:
        if args.child[0] == "populate":
            child_populate(int(args.child[1]))
        else:
            child_measure(args.child[0])
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="bench-exports-"))
    created = False
    try:
        support.create_database(args.postgres_url, args.db_name)
        created = True
        env = support.production_env(
            support.database_url(args.postgres_url, args.db_name), FOLLOWUP_EXPORT_MAX_ROWS=str(args.debts + 1)
        )
        support.manage("migrate", "--noinput", env=env)
        run_child(["--child", "populate", str(args.debts)], env)
        results = {measure: run_child(["--child", measure], env) for measure in MEASURES}
    except support.SetupError as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        support.clean_up(args, workdir, created, close_django=False)
    base = results["baseline"]
    print(f"{args.debts} debts, PostgreSQL; each measure in a fresh process (peak RSS = VmHWM)")
    print(f"{'measure':10} {'seconds':>8} {'peak RSS':>10} {'over baseline':>22} {'file':>10}")
    for measure in MEASURES:
        result = results[measure]
        extra = (
            ""
            if measure == "baseline"
            else f"+{result['seconds'] - base['seconds']:.2f} s +{result['rss_mb'] - base['rss_mb']:.1f} MB"
        )
        size = f"{result['bytes'] / 1e6:.1f} MB" if result["bytes"] else ""
        print(f"{measure:10} {result['seconds']:8.2f} {result['rss_mb']:8.1f} MB {extra:>22} {size:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
