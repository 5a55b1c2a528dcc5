#!/usr/bin/env python
"""Peak memory of the PES V2 parser (and import) on hostile files, against a baseline (issue 13, item 7).

    .venv/bin/python bench/pes_hostile.py                    # every file up to the upload limit (512 MB)
    .venv/bin/python bench/pes_hostile.py --upload-mb 64     # a quicker run, the same files smaller
    .venv/bin/python bench/pes_hostile.py --import           # also manage.py import_debts --dry-run (PostgreSQL)
    .venv/bin/python bench/pes_hostile.py --only million-empty-in-bordereau,deep-nesting

One run, everything generated here into a temporary directory and removed afterwards (--keep):

1. the files, written in a stream (never held in memory), each a ``PES_Aller``:

   * million-empty-in-bordereau: the issue's file, 1,000,000 ``<X/>`` in one recette Bordereau
     (4 MB), refused as not PES;
   * error-flood: 524,288 empty recette pieces (``<Piece/>``, 4 MiB), every one a bad piece with two
     line errors (no IdPce, no LigneDePiece): read, each reported with its number;
   * million-empty-elsewhere: the same elements in a PES_DepenseAller (which the parser skips),
     then a recette of one piece: read, every element freed;
   * deeper-than-pes: 1,000 nests of 250 levels (libxml2's own limit is 256), refused;
   * deep-nesting: nests of 30 levels (32 with PES_Aller and PES_DepenseAller: the bound), 64 MiB
     of them (--other-mb), then a recette: read;
   * huge-text-nodes: a recette, then attachments (PES_PJ / PJ / Contenu / Fichier, after the recette
     as the schema has them) of 9.5 MB of text each (libxml2 refuses one over 10 MB) up to the upload
     limit: read;
   * junk-at-upload-limit: small elements of any name in a PES_DepenseAller up to the upload
     limit, then a recette: read;
   * pieces-at-the-bounds: recette pieces of one line and 199,000 elements each (the bound is
     200,000), 64 MiB of them (--other-mb): read;
   * values-at-the-bounds: recette pieces carrying 15 MB of values each (the bound is 16 MB read
     without an element to free) up to the upload limit: read;

2. two baselines measured in the same run: ``interpreter`` (the child process importing the
   parser and parsing nothing) and ``normal-pes`` (a generated PES V2 Recette,
   ``debts.importers.samples.write_pesv2``, of the upload limit's size);

3. for each file, a fresh process parses it with ``debts.importers.parse("pesv2", …)`` and
   reports its own peak RSS (VmHWM, /proc) and what it read or why it refused the file; with
   --import, a fresh ``manage.py import_debts --dry-run --mode partial`` of the file too, in a
   throw-away PostgreSQL database migrated with production settings (peak RSS = its peak (VmHWM, read as it exits)).

Goal (issue 13, item 7): peak RSS under 250 MB for every file, and every file read or refused
as announced. Exit status 0 when every goal is met, 1 otherwise, 2 when the set-up fails. The
parse of every file at 512 MiB takes about 17 minutes on 2 cores (normal-pes and
junk-at-upload-limit most of it); --import about as long again for each file imported.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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
GOAL_RSS_MB = 250.0
UPLOAD_MB = 512  # staff.imports.forms.DEFAULT_IMPORT_MAX_UPLOAD_BYTES
PES_NUMCLI = "471299"
SEED = 20261201

HEAD = (
    b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<PES_Aller><EnTetePES><DteStr V="2024-12-31"/>'
    b'<IdColl V="21420218600011"/></EnTetePES>'
)
BLOC = b'<BlocBordereau><Exer V="2024"/><IdBord V="1"/><TypBord V="01"/></BlocBordereau>'


def piece(number: int, inside_line: bytes = b"", bloc_extra: bytes = b"") -> bytes:
    """One recette piece, one line of 12.50 €; ``inside_line`` goes into its LigneDePiece."""
    return (
        b'<Piece><BlocPiece><InfoPce><IdPce V="%d"/><ObjPce V="Cantine"/>%s</InfoPce></BlocPiece><LigneDePiece>'
        b'<BlocLignePiece><InfoLignePiece><IdLigne V="1"/><MtHT V="12.50"/></InfoLignePiece></BlocLignePiece>'
        b'<Tiers><InfoTiers><RefTiers V="D%d"/><Nom V="DURAND"/></InfoTiers></Tiers>%s</LigneDePiece></Piece>'
    ) % (number, bloc_extra, number, inside_line)


RECETTE = b"<PES_RecetteAller><Bordereau>" + BLOC + piece(1) + b"</Bordereau></PES_RecetteAller>"
TAIL = b"</PES_Aller>\n"


def _repeat(out: BinaryIO, unit: bytes, size: int) -> None:
    """Write ``unit`` again and again, about ``size`` bytes in all."""
    times = max(1, size // len(unit))
    block = unit * max(1, (1 << 20) // len(unit))
    per_block = len(block) // len(unit)
    for _ in range(times // per_block):
        out.write(block)
    out.write(unit * (times % per_block))


def million_empty_in_bordereau(out: BinaryIO, size: int) -> None:
    out.write(HEAD + b"<PES_RecetteAller><Bordereau>" + BLOC)
    _repeat(out, b"<X/>", 4_000_000)
    out.write(b"</Bordereau></PES_RecetteAller>" + TAIL)


def error_flood(out: BinaryIO, size: int) -> None:
    out.write(HEAD + b"<PES_RecetteAller><Bordereau>" + BLOC)
    _repeat(out, b"<Piece/>", 4 << 20)
    out.write(b"</Bordereau></PES_RecetteAller>" + TAIL)


def million_empty_elsewhere(out: BinaryIO, size: int) -> None:
    out.write(HEAD + b"<PES_DepenseAller><Bordereau>")
    _repeat(out, b"<X/>", 4_000_000)
    out.write(b"</Bordereau></PES_DepenseAller>" + RECETTE + TAIL)


def _nest(levels: int) -> bytes:
    return b"<A>" * levels + b"</A>" * levels


def deeper_than_pes(out: BinaryIO, size: int) -> None:
    out.write(HEAD + b"<PES_DepenseAller>")
    _repeat(out, _nest(250), 1000 * len(_nest(250)))
    out.write(b"</PES_DepenseAller>" + RECETTE + TAIL)


def deep_nesting(out: BinaryIO, size: int) -> None:
    out.write(HEAD + b"<PES_DepenseAller>")
    _repeat(out, _nest(30), size)
    out.write(b"</PES_DepenseAller>" + RECETTE + TAIL)


def huge_text_nodes(out: BinaryIO, size: int) -> None:
    text = b"QUJDRA==" * (9_500_000 // 8)
    unit = b"<PES_PJ><PJ><Contenu><Fichier>" + text + b"</Fichier></Contenu></PJ></PES_PJ>"
    # After the recette block, where the schema puts attachments (a recette after them is refused).
    out.write(HEAD + RECETTE)
    for _ in range(max(1, size // len(unit))):
        out.write(unit)
    out.write(TAIL)


def junk_at_upload_limit(out: BinaryIO, size: int) -> None:
    out.write(HEAD + b"<PES_DepenseAller>")
    _repeat(out, b'<Junk V="x"><J/><K V="yy"/></Junk><Other/>', size)
    out.write(b"</PES_DepenseAller>" + RECETTE + TAIL)


def pieces_at_the_bounds(out: BinaryIO, size: int) -> None:
    # A generated piece has 14 elements of its own: 199,000 in all, the bound is 200,000.
    inside = b"<X/>" * (199_000 - 14)
    out.write(HEAD + b"<PES_RecetteAller><Bordereau>" + BLOC)
    for number in range(1, max(1, size // len(inside)) + 1):
        out.write(piece(number, inside_line=inside))
    out.write(b"</Bordereau></PES_RecetteAller>" + TAIL)


def values_at_the_bounds(out: BinaryIO, size: int) -> None:
    value = b"A" * 5_000_000  # three of them: 15 MB, under the 16 MB bound and libxml2's 10 MB per value
    extra = b'<Obs1 V="%s"/><Obs2 V="%s"/><Obs3 V="%s"/>' % (value, value, value)
    out.write(HEAD + b"<PES_RecetteAller><Bordereau>" + BLOC)
    for number in range(1, max(1, size // len(extra)) + 1):
        out.write(piece(number, bloc_extra=extra))
    out.write(b"</Bordereau></PES_RecetteAller>" + TAIL)


class _Counter(io.RawIOBase):
    """A sink that only counts the bytes written to it."""

    written = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.written += len(data)
        return len(data)


def normal_pes(out: BinaryIO, size: int) -> None:
    from debts.importers.samples import write_pesv2

    probe = _Counter()
    write_pesv2(probe, 2_000, seed=SEED)
    write_pesv2(out, max(1, round(size * 2_000 / probe.written)), seed=SEED)


@dataclass(frozen=True)
class Hostile:
    name: str
    expect: str  # "read" or "refused"
    write: Callable[[BinaryIO, int], None]
    full: bool = True  # made to the upload limit's size, else to --other-mb at most


FILES = [
    Hostile("million-empty-in-bordereau", "refused", million_empty_in_bordereau),
    Hostile("error-flood", "read", error_flood),
    Hostile("million-empty-elsewhere", "read", million_empty_elsewhere),
    Hostile("deeper-than-pes", "refused", deeper_than_pes),
    Hostile("deep-nesting", "read", deep_nesting, full=False),
    Hostile("huge-text-nodes", "read", huge_text_nodes),
    Hostile("junk-at-upload-limit", "read", junk_at_upload_limit),
    Hostile("pieces-at-the-bounds", "read", pieces_at_the_bounds, full=False),
    Hostile("values-at-the-bounds", "read", values_at_the_bounds),
]
BASELINE = Hostile("normal-pes", "read", normal_pes)


# --- The measured processes -------------------------------------------------------------


def child(path: str) -> None:
    """In a fresh process: parse ``path`` ("-": nothing), print what was read and this process's peak RSS."""
    from debts.importers import DebtRecord, ImportFileError, parse

    started = time.perf_counter()
    outcome: dict = {"records": 0, "errors": 0, "refused": None}
    if path != "-":
        try:
            with open(path, "rb") as source:
                for item in parse("pesv2", source):
                    outcome["records" if isinstance(item, DebtRecord) else "errors"] += 1
        except ImportFileError as exc:
            outcome["refused"] = exc.message
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps({**outcome, "seconds": time.perf_counter() - started, "peak_mb": peak_kb / 1024}))


@dataclass
class Measure:
    peak_mb: float
    seconds: float
    outcome: str  # "read" or "refused"
    detail: str


def measure_parse(path: Path | None) -> Measure:
    done = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "--child", str(path) if path else "-"],
        cwd=ROOT,
        env=child_env({}),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SetupError(f"the parsing process failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["refused"]:
        return Measure(result["peak_mb"], result["seconds"], "refused", result["refused"])
    return Measure(
        result["peak_mb"], result["seconds"], "read", f"{result['records']} debts, {result['errors']} line errors"
    )


# The import's own peak RSS: its process's VmHWM, read as it exits (as the parse child reports
# its own). Not ru_maxrss from wait4: Linux carries the parent's high-water mark across fork and
# exec, and this process has grown while writing the files (every import then read ~408 MB).
_IMPORT_LAUNCHER = """
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    with open(os.environ["BENCH_PEAK_FILE"], "w") as out:
        out.write(str(kb))
atexit.register(_peak)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def measure_import(path: Path, env: dict[str, str]) -> Measure:
    """``manage.py import_debts --dry-run`` in a fresh process (exit 2: the file was refused)."""
    cmd = [PYTHON, "-c", _IMPORT_LAUNCHER, "manage.py", "import_debts", "--client", PES_NUMCLI, "--format", "pesv2"]
    peak_file = path.with_suffix(".peak")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child_environ = {**child_env(env), "BENCH_PEAK_FILE": str(peak_file)}
        process = subprocess.Popen(
            [*cmd, "--mode", "partial", "--dry-run", str(path)], cwd=ROOT, env=child_environ, stdout=out, stderr=err
        )
        code = process.wait()
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        text = (out.read() + err.read()).decode(errors="replace").strip()
    if not peak_file.exists():
        raise SetupError(f"import_debts exited {code} without reporting its peak:\n{text[-3000:]}")
    peak_mb = int(peak_file.read_text()) / 1024
    peak_file.unlink()
    if code not in (0, 1, 2):
        raise SetupError(f"import_debts exited {code}:\n{text[-3000:]}")
    # The report's "Erreur : …" line when the file was refused, else what a real import would add
    # and how many lines it reports.
    wanted = ("Erreur",) if code == 2 else ("Dettes qui seraient importées", "Anomalies")
    lines = text.splitlines()
    found = [next((line for line in lines if line.startswith(start)), "") for start in wanted]
    detail = ", ".join(line for line in found if line) or text[-100:]
    # A crash (a traceback, exit 1) has no report: neither read nor refused.
    outcome = "refused" if code == 2 else "read" if found[0] else "failed"
    return Measure(peak_mb, seconds, outcome, detail)


def import_setup(args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    create_database(args.postgres_url, args.db_name)
    env = production_env(
        database_url(args.postgres_url, args.db_name),
        SECURE_SSL_REDIRECT=None,
        IMPORTS_DIR=str(workdir / "imports"),
        STATIC_ROOT=str(workdir / "static"),
        LOG_LEVEL="WARNING",
    )
    manage("migrate", "--noinput", "-v", "0", env=env)
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(
            "INSERT INTO payments_tipiclient (numcli, protocol, label, online_delay_days, code_recette,"
            " accept_only_known_debts, state, mode) VALUES (%s, 'pesv2', 'Commune de Banc-d''Essai', 60, '', false, 'active',"
            " 'classic')",
            (PES_NUMCLI,),
        )
    return env


# --- Main -----------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser, "tipi_bench_pes_hostile")
    parser.add_argument(
        "--upload-mb", type=int, default=UPLOAD_MB, help=f"the upload limit in MiB (default {UPLOAD_MB})"
    )
    parser.add_argument(
        "--other-mb",
        type=int,
        default=64,
        help="size in MiB of deep-nesting and pieces-at-the-bounds (default 64; memory is per nest or piece, "
        "and a 512 MiB one takes half an hour to parse)",
    )
    parser.add_argument("--import", dest="run_import", action="store_true", help="also import each file (dry run)")
    parser.add_argument("--only", default="", help="comma-separated file names (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files (and the database)")
    args = parser.parse_args(argv)
    names = {hostile.name for hostile in FILES}
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    if unknown := set(args.only) - names:
        parser.error(f"--only: unknown {', '.join(sorted(unknown))} (known: {', '.join(sorted(names))})")
    return args


@dataclass
class Result:
    name: str
    size: int
    step: str  # "parse" or "import"
    measure: Measure
    expect: str

    def goal_met(self) -> bool:
        return self.measure.peak_mb < GOAL_RSS_MB and self.measure.outcome == self.expect


def run_files(args: argparse.Namespace, workdir: Path, env: dict[str, str] | None) -> list[Result]:
    """The baselines, then each chosen file: written, parsed (and imported), removed."""
    size = args.upload_mb << 20
    results = [Result("interpreter", 0, "parse", measure_parse(None), "read")]
    chosen = [BASELINE, *(hostile for hostile in FILES if not args.only or hostile.name in args.only)]
    for hostile in chosen:
        path = workdir / f"{hostile.name}.xml"
        print(f"Writing and parsing {hostile.name}…", flush=True)
        with path.open("wb") as out:
            hostile.write(out, size if hostile.full else min(size, args.other_mb << 20))
        results.append(Result(hostile.name, path.stat().st_size, "parse", measure_parse(path), hostile.expect))
        if env is not None:
            results.append(
                Result(hostile.name, path.stat().st_size, "import", measure_import(path, env), hostile.expect)
            )
        if not args.keep:
            path.unlink()
    return results


def report(args: argparse.Namespace, results: list[Result]) -> bool:
    baselines = {result.step: result.measure.peak_mb for result in results if result.name == BASELINE.name}
    print()
    print(f"PES V2 hostile files — {os.cpu_count()} cores, upload limit {args.upload_mb} MiB")
    print("parse  = a fresh process running debts.importers.parse('pesv2', file); RSS = its peak (VmHWM)")
    if "import" in baselines:
        print(
            "import = a fresh manage.py import_debts --dry-run --mode partial (production env); RSS = its peak (VmHWM, read as it exits)"
        )
    print(
        f"vs norm = RSS minus {BASELINE.name}'s for the same step; goal: RSS < {GOAL_RSS_MB:.0f} MB, outcome expected"
    )
    print()
    header = f"{'file':<28}{'MiB':>6}{'step':>7}{'s':>8}{'RSS MB':>8}{'vs norm':>8}  {'expected':<9}{'goal':<7}outcome"
    print(header)
    print("-" * len(header))
    for result in results:
        measure = result.measure
        print(
            f"{result.name:<28}{result.size / (1 << 20):>6.0f}{result.step:>7}{measure.seconds:>8.1f}"
            f"{measure.peak_mb:>8.0f}{measure.peak_mb - baselines[result.step]:>+8.0f}  {result.expect:<9}"
            f"{'met' if result.goal_met() else 'MISSED':<7}{measure.detail[:100]}"
        )
    print()
    missed = [f"{result.name} ({result.step})" for result in results if not result.goal_met()]
    print("All goals met." if not missed else f"Goals NOT met for: {', '.join(missed)}")
    return not missed


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="tipi-bench-pes-hostile-"))
    db_created = False
    try:
        env = None
        if args.run_import:
            print(f"Creating database {args.db_name} and migrating it (production settings)…", flush=True)
            db_created = True
            env = import_setup(args, workdir)
        ok = report(args, run_files(args, workdir, env))
        load = os.getloadavg()
        print(f"Ran in {time.monotonic() - started:.0f} s (1-minute load average at the end {load[0]:.1f}).")
        return 0 if ok else 1
    except SetupError as exc:
        print(f"\nSet-up failed: {exc}", file=sys.stderr)
        return 2
    finally:
        clean_up(args, workdir, db_created, close_django=False)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
        sys.exit(0)
    sys.exit(main(sys.argv[1:]))
