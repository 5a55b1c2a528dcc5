#!/usr/bin/env python
"""Benchmark of debt imports into PostgreSQL (`manage.py import_debts`), against a parse + COPY ceiling.

    make bench-import                                  # or: .venv/bin/python bench/import.py
    .venv/bin/python bench/import.py --sizes 100000 --skip-pes      # a quick run

One run, everything set up here and cleaned up afterwards:

1. a fresh PostgreSQL database (``tipi_bench_import`` on --postgres-url), migrated with
   production settings (DEBUG=0, a SECRET_KEY, DATABASE_URL, TIPI_SANDBOX=0…); one ROLMRE
   client (with its code recette) and one PES V2 client;
2. the files, generated once into a temporary directory with
   ``debts.importers.samples.write_sample`` (fixed seed, no bad line): one ROLMRE file per
   --sizes entry and, unless --skip-pes, a PES V2 Recette file of about --pes-mb MB;
3. for each file, in this order, each in its own fresh process, timed from spawn to exit,
   with the peak RSS of that very process (``os.wait4``):

   * the **ceiling**: the plain physical work, written here and not the project's code: a ROLMRE
     line sliced into its fields and its REFDET composed (ROLEX + ROLREC or ROLNAT + ROLDEB +
     ROLDET), or a PES piece read with lxml ``iterparse`` (its first line's REFDET, its lines'
     amounts summed, the element freed); then one psycopg binary ``COPY … FROM STDIN`` of the rows,
     in one transaction, into a scratch table of the debts table's shape (``CREATE TABLE …
     (LIKE debts_debt INCLUDING ALL)``: same columns, same indexes, the unique (client_id,
     refdet) one included; no foreign keys). The issue measured it at ≈ 510,000 lines/s for the
     slicing and ≈ 114,000 rows/s into PostgreSQL; the process also reports the time spent
     slicing and composing ("plain parse/s");
   * the **parser**: ``debts.importers.parse`` alone, every check it makes, its own process
     ("parser/s", records and line errors per second; goal ≥ 200,000 ROLMRE lines/s);
   * the **import**: ``manage.py import_debts --client … --format … --mode partial FILE``,
     the production command, exactly as staff or cron would run it.

   Before each timed step the debt tables are emptied (TRUNCATE), the scratch table too,
   and a CHECKPOINT is taken, so every step starts from the same state.

Goals (issue 15 §4): import ≥ 0.25 × ceiling in source records/s (lines, PES pieces), ROLMRE and
PES V2; the ROLMRE parser ≥ 200,000 lines/s; peak RSS < 250 MB, and about the same (within 15 %)
at every size. Exit status 0 whatever the figures; 1 when an import did
not do what the file asks (wrong count, failure); 2 when the set-up fails.
"""

from __future__ import annotations

import argparse
import datetime
import io
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.support import (  # noqa: E402 - the set-up shared by the benchmarks
    SetupError,
    add_database_arguments,
    child_env,
    clean_up,
    create_database,
    database_url,
    manage,
    production_env,
)

PYTHON = sys.executable
SEED = 20261122

GOAL_RATIO = 0.25
GOAL_PARSER_RATE = 200_000  # ROLMRE lines/s, the parser alone
GOAL_RSS_MB = 250.0
GOAL_RSS_GROWTH = 0.15  # the largest size's peak RSS within 15 % of the smallest's

ROLMRE_NUMCLI, ROLMRE_CODE_RECETTE = "471201", "EA"
PES_NUMCLI = "471202"
CEILING_TABLE = "bench_copy_ceiling"
# The debts table's columns that an import fills (all but id), in the ceiling's COPY order.
CEILING_COLUMNS = (
    "client_id",
    "refdet",
    "ref_parts",
    "amount_cents",
    "debtor_ref",
    "debtor_id",
    "debtor_name",
    "debtor_address",
    "label",
    "issued_on",
    "online_from",
    "online_until",
    "state",
    "batch_id",
    "raw_record",
    "created_at",
    "updated_at",
    "due_on",
    "invoice_reference",
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser, "tipi_bench_import")
    parser.add_argument(
        "--sizes",
        default="100000,1000000",
        help="ROLMRE record counts, comma-separated (default 100000,1000000)",
    )
    parser.add_argument("--skip-pes", action="store_true", help="leave out the PES V2 file")
    parser.add_argument("--pes-mb", type=float, default=100.0, help="size of the PES V2 file in MB (default 100)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--keep", action="store_true", help="keep the database and the generated files")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    except ValueError:
        parser.error("--sizes: comma-separated integers, e.g. 100000,1000000")
    if not args.sizes or min(args.sizes) < 1:
        parser.error("--sizes: at least one positive count")
    return args


# --- Set-up ---------------------------------------------------------------------------


def import_env(db_url: str, workdir: Path) -> dict[str, str]:
    """The production environment (bench.support.production_env) as cron's import would have it."""
    return production_env(
        db_url,
        SECURE_SSL_REDIRECT=None,  # not set here: the import does not serve HTTP
        IMPORTS_DIR=str(workdir / "imports"),  # where import_batch_create keeps its copy of the file
        STATIC_ROOT=str(workdir / "static"),
        LOG_LEVEL="WARNING",
    )


def migrate_and_create_clients(env: dict[str, str]) -> None:
    manage("migrate", "--noinput", "-v", "0", env=env)
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        for numcli, protocol, label, code in (
            (ROLMRE_NUMCLI, "rolmre", "Syndicat des eaux de Banc-d'Essai", ROLMRE_CODE_RECETTE),
            (PES_NUMCLI, "pesv2", "Commune de Banc-d'Essai", ""),
        ):
            conn.execute(
                "INSERT INTO payments_tipiclient (numcli, protocol, label, online_delay_days, code_recette,"
                " accept_only_known_debts, state, mode) VALUES (%s, %s, %s, 60, %s, false, 'active', 'classic')",
                (numcli, protocol, label, code),
            )
        conn.execute(f"CREATE TABLE {CEILING_TABLE} (LIKE debts_debt INCLUDING ALL)")


class _Counter(io.RawIOBase):
    """A sink that only counts the bytes written to it."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)


@dataclass
class SampleFile:
    fmt: str
    path: Path
    records: int  # source records: lines, or PES pieces
    debts: int  # debts the import must create
    size: int


def generate(fmt: str, path: Path, count: int, seed: int) -> SampleFile:
    from debts.importers.samples import write_sample

    with path.open("wb") as out:
        stats = write_sample(fmt, out, count, seed=seed, bad_share=0.0)
    if stats.bad:
        raise SetupError(f"{path.name}: {stats.bad} bad records generated, none expected")
    return SampleFile(fmt, path, stats.records, stats.debts, path.stat().st_size)


def pes_pieces_for(megabytes: float, seed: int) -> int:
    """How many generated PES pieces make a file of about ``megabytes`` MB (10⁶ bytes)."""
    from debts.importers.samples import write_sample

    probe = 5_000
    sink = _Counter()
    write_sample("pesv2", sink, probe, seed=seed, bad_share=0.0)
    return max(1, round(megabytes * 1e6 * probe / sink.size))


# --- The timed steps ------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    extra: dict = field(default_factory=dict)


def run_measured(cmd: list[str], env: dict[str, str]) -> Run:
    """Run ``cmd`` in a fresh process: wall time from spawn to exit and that process's peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=ROOT, env=child_env(env), stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage, not all children's
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    return Run(seconds, usage.ru_maxrss / 1024, process.returncode, stdout, stderr)  # ru_maxrss: KiB on Linux


def reset_tables(db_url: str) -> None:
    """Empty the debt tables and the ceiling table, then CHECKPOINT: each step starts alike."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "TRUNCATE debts_debt, debts_debtorreference, debts_stageddebt, debts_importissue, debts_importbatch, "
            f"{CEILING_TABLE} CASCADE"
        )
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")


def _child_values(run: Run, what: str) -> dict[str, str]:
    if run.returncode != 0:
        raise SetupError(f"the {what} process failed ({run.returncode}):\n{run.stderr[-3000:]}")
    return dict(line.split("=", 1) for line in run.stdout.split() if "=" in line)


def run_ceiling(sample: SampleFile, numcli: str, env: dict[str, str]) -> Run:
    cmd = [PYTHON, str(Path(__file__).resolve()), "--ceiling-child", sample.fmt, str(sample.path), numcli]
    run = run_measured(cmd, env)
    values = _child_values(run, "ceiling")
    run.extra = {"rows": int(values["rows"]), "parse_s": float(values["parse_s"])}
    return run


def run_parser(sample: SampleFile, env: dict[str, str]) -> Run:
    run = run_measured([PYTHON, str(Path(__file__).resolve()), "--parser-child", sample.fmt, str(sample.path)], env)
    values = _child_values(run, "parser")
    run.extra = {"items": int(values["items"]), "parse_s": float(values["parse_s"])}
    return run


def run_import(sample: SampleFile, numcli: str, env: dict[str, str]) -> tuple[Run, list[str]]:
    cmd = [
        PYTHON,
        "manage.py",
        "import_debts",
        "--client",
        numcli,
        "--format",
        sample.fmt,
        "--mode",
        "partial",
        str(sample.path),
    ]
    run = run_measured(cmd, env)
    problems = []
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        debts = conn.execute(
            "SELECT count(*) FROM debts_debt d JOIN payments_tipiclient c ON c.id = d.client_id WHERE c.numcli = %s",
            (numcli,),
        ).fetchone()[0]
        state, imported, records_read = conn.execute(
            "SELECT state, imported, records_read FROM debts_importbatch ORDER BY id DESC LIMIT 1"
        ).fetchone() or (None, 0, 0)
        refs_without_code = conn.execute(
            "SELECT count(*) FROM debts_debt d LEFT JOIN debts_debtorreference r ON r.id = d.debtor_id"
            " WHERE d.debtor_ref <> '' AND (r.id IS NULL OR length(r.access_code) <> 10)"
        ).fetchone()[0]
        staged_left = conn.execute("SELECT count(*) FROM debts_stageddebt").fetchone()[0]
        references, codes = conn.execute(
            "SELECT count(*), count(DISTINCT access_code) FROM debts_debtorreference"
        ).fetchone()
    if run.returncode != 0:
        problems.append(f"import_debts exited {run.returncode}: {(run.stderr or run.stdout)[-2000:]}")
    if state != "done" or imported != sample.debts or debts != sample.debts:
        problems.append(f"expected {sample.debts} debts, batch {state} imported={imported}, table has {debts}")
    if refs_without_code:
        problems.append(f"{refs_without_code} debts without a debtor reference with a 10-character access code")
    if references - codes > max(1, references // 100_000):  # 50 random bits: a clash in a million is unlikely
        problems.append(f"{references} debtor references but only {codes} distinct access codes")
    if staged_left:
        problems.append(f"{staged_left} staged rows left behind")
    run.extra = {"debts": debts, "records_read": records_read, "command": shlex.join(cmd)}
    return run, problems


# --- The plain ceilings: the physical work of an import and nothing else ------------------
#
# No check, no report, no staging: what any import of these files must at least do. Their code is
# written here on purpose (not the project's parsers): the ceiling is the machine's, not ours.

_ROLMRE_ZONES = {  # annex 5, 1-based inclusive positions
    "ROLNAT": (4, 5),
    "ROLEX": (6, 9),
    "ROLDET": (11, 23),
    "ROLREC": (27, 28),
    "ROLDAT": (29, 36),
    "ROLTOT": (87, 98),
    "ROLNOM": (111, 142),
    "ROLCNM": (143, 174),
    "ROLDIS": (175, 206),
    "ROLADR": (207, 238),
    "ROLCVI": (239, 270),
    "ROLCP": (271, 275),
    "ROLLOC": (276, 302),
    "ROLCLI": (415, 434),
    "ROLDEB": (467, 468),
}


def plain_rolmre_rows(path: str, default_from: datetime.date) -> Iterator[tuple]:
    """Each ROLMRE line sliced into its fields and its REFDET composed (ROLEX + ROLREC or ROLNAT
    + ROLDEB or 00 + ROLDET): (refdet, ref_parts, amount, debtor_ref, name, address, label,
    issued_on, online_from, raw)."""
    slices = [slice(start - 1, end) for start, end in _ROLMRE_ZONES.values()]
    with open(path, encoding="iso8859-15", newline="") as handle:
        for line in handle:
            line = line.rstrip("\r\n")
            (nat, ex, det, rec, dat, tot, nom, cnm, dis, adr, cvi, cp, loc, cli, deb) = [line[z] for z in slices]
            rec, deb = rec.strip(), deb.strip() or "00"
            parts = {"rolex": ex, "rolrec": rec, "roldeb": deb, "roldet": det, "rolnat": nat}
            refdet = f"{ex}{rec or nat}{deb if rec else '00'}{det}"
            issued = datetime.date(int(dat[:4]), int(dat[4:6]), int(dat[6:])) if dat.strip() else None
            address = "\n".join((dis.strip(), adr.strip(), cvi.strip(), f"{cp} {loc.strip()}"))
            yield (refdet, parts, int(tot), cli.strip(), f"{nom.strip()} {cnm.strip()}", address,
                   f"Facture d'eau n° {int(det)}", issued, default_from, line)  # fmt: skip


def plain_pesv2_rows(path: str, default_from: datetime.date) -> Iterator[tuple]:
    """Each PES piece read with lxml's iterparse (freed once read), one row per piece: its first
    line's REFDET (Exer + IdPce + IdLigne), debtor and address, the amounts of its lines summed."""
    from decimal import Decimal

    from lxml import etree

    exer = ""
    for _, element in etree.iterparse(path, events=("end",), tag=("{*}BlocBordereau", "{*}Piece")):
        if element.tag.endswith("BlocBordereau"):
            exer = element.find("{*}Exer").get("V")
        else:
            lines = element.findall("{*}LigneDePiece")
            first = lines[0]
            info = first.find("{*}BlocLignePiece/{*}InfoLignePiece")
            tiers = first.find("{*}Tiers/{*}InfoTiers")
            adresse = first.find("{*}Tiers/{*}Adresse")
            idpce = element.find("{*}BlocPiece/{*}InfoPce/{*}IdPce").get("V")
            parts = {"exer": exer, "idpce": idpce.zfill(8), "idligne": info.find("{*}IdLigne").get("V").zfill(6)}
            amount = sum(int(Decimal(line.find("{*}BlocLignePiece/{*}InfoLignePiece/{*}MtHT").get("V")) * 100)
                         for line in lines)  # fmt: skip
            name = " ".join(child.get("V", "") for child in tiers if child.tag.endswith(("Nom", "Prenom")))
            address = "\n".join(child.get("V", "") for child in adresse if child.tag.endswith(("Adr1", "CP", "Ville")))
            reference = tiers.find("{*}RefTiers")
            yield (
                f"{parts['exer']}{parts['idpce']}{parts['idligne']}",
                parts,
                amount,
                reference.get("V") if reference is not None else "",
                name,
                address,
                "",
                None,
                default_from,
                etree.tostring(element, encoding="unicode"),
            )
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            del element.getparent()[0]


PLAIN_ROWS = {"rolmre": plain_rolmre_rows, "pesv2": plain_pesv2_rows}


def ceiling_child(fmt: str, path: str, numcli: str) -> None:
    """The plain ceiling, in its own process: ``PLAIN_ROWS[fmt]`` and one binary COPY, one transaction.

    No Django, none of the project's code: psycopg straight to DATABASE_URL. Prints rows=… and
    parse_s=… (time spent slicing or reading the file and composing, COPY excluded).
    """
    import psycopg

    today = datetime.date.today()
    now = datetime.datetime.now(datetime.UTC)
    delay = datetime.timedelta(days=60)
    clock = time.perf_counter
    rows = 0
    parse_s = 0.0
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        client_id = conn.execute("SELECT id FROM payments_tipiclient WHERE numcli = %s", (numcli,)).fetchone()[0]
        types = dict(
            conn.execute(
                "SELECT attname, atttypid::regtype::text FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
                (CEILING_TABLE,),
            ).fetchall()
        )
        records = PLAIN_ROWS[fmt](path, today + datetime.timedelta(days=1))
        with conn.cursor() as cursor:
            columns = ", ".join(CEILING_COLUMNS)
            with cursor.copy(f"COPY {CEILING_TABLE} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types([types[name] for name in CEILING_COLUMNS])  # one dumper per column, binary
                while True:
                    started = clock()
                    row = next(records, None)
                    parse_s += clock() - started
                    if row is None:
                        break
                    refdet, parts, amount, debtor_ref, name, address, label, issued, start, raw = row
                    copy.write_row(
                        (client_id, refdet, parts, amount, debtor_ref, None, name, address, label, issued,
                         start, start + delay, "open", None, raw, now, now, None, "")
                    )  # fmt: skip
                    rows += 1
        conn.commit()
    print(f"rows={rows} parse_s={parse_s:.3f}")


def parser_child(fmt: str, path: str) -> None:
    """Our parser alone (``debts.importers.parse``, every check it makes), in its own process:
    prints items=… (records and line errors) and parse_s=…"""
    from debts.importers import parse

    started = time.perf_counter()
    with open(path, "rb") as handle:
        items = sum(1 for _ in parse(fmt, handle))
    print(f"items={items} parse_s={time.perf_counter() - started:.3f}")


# --- Report -------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    sample: SampleFile
    ceiling: Run
    parser: Run
    imported: Run
    problems: list[str]

    @property
    def import_rate(self) -> float:
        """Source records (lines, PES pieces) imported per second."""
        return self.sample.records / self.imported.seconds

    @property
    def ceiling_rate(self) -> float:
        return self.ceiling.extra["rows"] / self.ceiling.seconds

    @property
    def plain_parse_rate(self) -> float:
        return self.ceiling.extra["rows"] / self.ceiling.extra["parse_s"]

    @property
    def parser_rate(self) -> float:
        return self.parser.extra["items"] / self.parser.extra["parse_s"]

    @property
    def ratio(self) -> float:
        return self.import_rate / self.ceiling_rate


def server_settings(db_url: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        names = ("server_version", "fsync", "synchronous_commit", "shared_buffers", "work_mem", "max_wal_size")
        return {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in names}


def report(rolmre: list[Result], pes: Result | None, meta: dict[str, str]) -> bool:
    print()
    print(
        f"Debt import benchmark — {os.cpu_count()} cores, PostgreSQL {meta['server_version'].split()[0]} "
        f"(fsync={meta['fsync']}, synchronous_commit={meta['synchronous_commit']}, "
        f"shared_buffers={meta['shared_buffers']}, work_mem={meta['work_mem']}, max_wal_size={meta['max_wal_size']})"
    )
    print("import  = manage.py import_debts --mode partial (production env), one fresh process per file")
    print(
        "ceiling = the plain physical work: ROLMRE lines sliced into their fields and REFDET composed, or PES "
        f"pieces read with lxml iterparse; psycopg binary COPY into {CEILING_TABLE} (LIKE debts_debt INCLUDING "
        "ALL: same columns and indexes, the unique one included, no FKs); one fresh process per file"
    )
    print("parser  = debts.importers.parse with every check it makes, alone, one fresh process per file")
    print("times are wall-clock from process spawn to exit; RSS is each process's own peak (os.wait4);")
    print("rates are source records (lines, PES pieces) per second")
    print()
    header = (
        f"{'file':<17}{'MB':>6}{'records':>10}{'import s':>10}{'import rec/s':>14}{'RSS MB':>8}"
        f"{'ceiling s':>11}{'ceiling rec/s':>15}{'plain parse/s':>15}{'ratio':>7}{'parser/s':>11}"
    )
    print(header)
    print("-" * len(header))
    for result in [*rolmre, *([pes] if pes else [])]:
        print(
            f"{result.label:<17}{result.sample.size / 1e6:>6.0f}{result.sample.records:>10}"
            f"{result.imported.seconds:>10.1f}{result.import_rate:>14,.0f}{result.imported.peak_rss_mb:>8.0f}"
            f"{result.ceiling.seconds:>11.1f}{result.ceiling_rate:>15,.0f}{result.plain_parse_rate:>15,.0f}"
            f"{result.ratio:>7.3f}{result.parser_rate:>11,.0f}"
        )
    if pes:
        print(f"PES V2: {pes.sample.records} pieces → {pes.sample.debts} debts")
    print()
    goals = []
    for result in [*rolmre, *([pes] if pes else [])]:
        goals.append(
            (f"{result.label}: import ≥ {GOAL_RATIO} × ceiling", result.ratio >= GOAL_RATIO, f"{result.ratio:.3f}")
        )
        goals.append(
            (
                f"{result.label}: peak RSS < {GOAL_RSS_MB:.0f} MB",
                result.imported.peak_rss_mb < GOAL_RSS_MB,
                f"{result.imported.peak_rss_mb:.0f} MB",
            )
        )
    for result in rolmre:
        goals.append(
            (
                f"{result.label}: parser ≥ {GOAL_PARSER_RATE:,} lines/s",
                result.parser_rate >= GOAL_PARSER_RATE,
                f"{result.parser_rate:,.0f}",
            )
        )
    if len(rolmre) > 1:
        small, large = min(rolmre, key=lambda r: r.sample.debts), max(rolmre, key=lambda r: r.sample.debts)
        growth = large.imported.peak_rss_mb / small.imported.peak_rss_mb - 1
        goals.append(
            (
                f"peak RSS flat: {large.sample.debts:,} within {GOAL_RSS_GROWTH:.0%} of {small.sample.debts:,}",
                growth <= GOAL_RSS_GROWTH,
                f"{growth:+.1%}",
            )
        )
    print("Goals")
    for label, ok, value in goals:
        print(f"  [{'met' if ok else 'MISSED'}] {label}: {value}")
    problems = [f"{result.label}: {p}" for result in [*rolmre, *([pes] if pes else [])] for p in result.problems]
    print("Checks (every debt imported, each with a debtor reference and its own access code, staging emptied)")
    print("  [ok] all imports complete" if not problems else "\n".join(f"  [FAILED] {p}" for p in problems))
    print()
    print("All goals met." if all(ok for _, ok, _ in goals) else "Some goals are NOT met.")
    return not problems


# --- Main ---------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="tipi-bench-import-"))
    sys.path.insert(0, str(ROOT))
    db_created = False
    db_url = database_url(args.postgres_url, args.db_name)
    try:
        print(f"Creating database {args.db_name} and migrating it (production settings)…", flush=True)
        create_database(args.postgres_url, args.db_name)
        db_created = True
        env = import_env(db_url, workdir)
        migrate_and_create_clients(env)
        meta = server_settings(db_url)

        samples: list[tuple[str, SampleFile, str]] = []
        for size in sorted(args.sizes):
            print(f"Writing a ROLMRE file of {size:,} records…", flush=True)
            sample = generate("rolmre", workdir / f"rolmre-{size}.txt", size, args.seed)
            samples.append((f"ROLMRE {size:,}", sample, ROLMRE_NUMCLI))
        if not args.skip_pes:
            pieces = pes_pieces_for(args.pes_mb, args.seed)
            print(f"Writing a PES V2 file of {pieces:,} pieces (≈ {args.pes_mb:.0f} MB)…", flush=True)
            sample = generate("pesv2", workdir / f"pesv2-{pieces}.xml", pieces, args.seed)
            samples.append((f"PES V2 {sample.size / 1e6:.0f} MB", sample, PES_NUMCLI))

        results: list[Result] = []
        for label, sample, numcli in samples:
            reset_tables(db_url)
            print(f"{label}: ceiling (plain parse + COPY)…", end=" ", flush=True)
            ceiling = run_ceiling(sample, numcli, env)
            print(f"{ceiling.seconds:.1f} s (load {os.getloadavg()[0]:.1f}); parser…", end=" ", flush=True)
            parser = run_parser(sample, env)
            print(f"{parser.seconds:.1f} s; import_debts…", end=" ", flush=True)
            reset_tables(db_url)
            imported, problems = run_import(sample, numcli, env)
            print(f"{imported.seconds:.1f} s (load {os.getloadavg()[0]:.1f})", flush=True)
            results.append(Result(label, sample, ceiling, parser, imported, problems))

        rolmre = [r for r in results if r.sample.fmt == "rolmre"]
        pes = next((r for r in results if r.sample.fmt == "pesv2"), None)
        ok = report(rolmre, pes, meta)
        print()
        print(
            f"import command (per file): DEBUG=0 TIPI_SANDBOX=0 DATABASE_URL={db_url} … "
            f"{results[-1].imported.extra['command']}"
        )
        load = os.getloadavg()
        print(
            f"Ran in {time.monotonic() - started:.0f} s (1-minute load average at the end {load[0]:.1f} on "
            f"{os.cpu_count()} cores; anything else running at the same time skews the figures)."
        )
        return 0 if ok else 1
    except SetupError as exc:
        print(f"\nSet-up failed: {exc}", file=sys.stderr)
        return 2
    finally:
        clean_up(args, workdir, db_created, close_django=False)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--ceiling-child"]:
        ceiling_child(*sys.argv[2:5])
        sys.exit(0)
    if sys.argv[1:2] == ["--parser-child"]:
        parser_child(*sys.argv[2:4])
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
