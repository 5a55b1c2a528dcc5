#!/usr/bin/env python
"""Benchmark of the citizen's debt list (/compte/) on PostgreSQL, against a static page of the same size.

    .venv/bin/python bench/account_page.py                  # in-process (django.test.Client)
    .venv/bin/python bench/account_page.py --gunicorn       # … and also over HTTP under gunicorn
    .venv/bin/python bench/account_page.py --debts 500 --page 5   # past a page: the last of five

The list shows 100 debts a page (accounts.views.DEBTS_PER_PAGE): by default the account has
100 debts, a full first page; with more, --page says which page is measured.

One run, everything set up here and cleaned up afterwards:

1. a fresh PostgreSQL database (``tipi_bench_account`` on --postgres-url), migrated with
   production settings (DEBUG=0, a SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, SECURE_SSL_REDIRECT=0,
   TIPI_SANDBOX=0, DATABASE_URL) and ``collectstatic`` into a temporary STATIC_ROOT (the
   manifest storage of production needs it for ``{% static %}``);
2. three TIPI clients (one of them inactive), a verified citizen (allauth e-mail address
   confirmed) linked to --references debtor references holding --debts listed debts between
   them (mixed states: open, in progress, paid; mixed dates: payable, expired, not yet online;
   some amounts under 1 € or from 1 500 €) plus a few cancelled ones the list hides, and, so
   that the query has something to filter out, --other-debts debts of other users' references.
   Columns are filled as an import fills them (raw record, address, REFDET parts). ANALYZE after;
3. the **page**: GET /compte/ (/compte/?page=N for --page N > 1) through ``django.test.Client``
   (``force_login``), in this process: the whole production stack (every middleware, the
   session and user loaded from PostgreSQL, ``login_required``, ``never_cache``, the view, its
   queries, the template) minus the HTTP server. The test client is used outside the test
   runner: no template-rendered signal, no locmem e-mail, ALLOWED_HOSTS enforced, DEBUG off;
4. the **baseline**: GET /bench/compte-statique/ through the same client, the same middleware
   and URL resolution, a view with the same decorators (``login_required``, ``never_cache``)
   that calls ``render()`` like the page (context processors, cached template loader) on a
   template holding a copy of the page's rendered HTML, without a single tag: same bytes out,
   the session and user loaded the same way, but no query and no template work of its own.
   The page and the baseline are requested alternately (ABAB…, which one first flips every
   round) after a warm-up, so that noise from the machine falls on both alike;
5. the query count of one page request and one baseline request (``CaptureQueriesContext``,
   outside the timed requests), the response sizes, and where the page's time goes: its view
   called directly (no client, no middleware), with the time spent in the database round trips
   summed by an execute wrapper (psycopg's execute, which also receives the rows; turning
   them into objects is Python time), against ``render_to_string`` of the static copy;
6. with --gunicorn, the same two URLs over HTTP: one gunicorn (``sync`` worker, one process
   by default), requests one after the other from this process with the session cookie
   of step 3, a new connection each time (the sync worker closes it), same alternation.

Times are wall clock (the goal's); for the in-process runs the CPU time of the measuring
thread is printed beside them, which a busy machine inflates far less than the p95.

The baseline's URL is not in the project: this script builds a URLconf (the project's URLs
plus the baseline) and points ROOT_URLCONF at it, in this process and, through
``bench.account_page:gunicorn_application()``, in gunicorn's.

Goals (the issue's): page p95 < 60 ms and at most 8 SQL queries per page request.
Exit status 0 whatever the figures (they are printed with the goals); 2 when the set-up fails.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import random
import secrets
import shlex
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.support import (  # noqa: E402 - the set-up shared by the benchmarks
    HOST,
    SetupError,
    add_database_arguments,
    busy_share,
    clean_up,
    create_database,
    database_url,
    free_port,
    gunicorn,
    gunicorn_command,
    machine_busy,
    percentile,
    production_env,
    tail,
)
from bench.support import idle_load as measure_idle_load  # noqa: E402

PAGE_PATH = "/compte/"
STATIC_PATH = "/bench/compte-statique/"
STATIC_TEMPLATE = "bench_account/static_debt_list.html"
URLCONF_NAME = "bench_account_urls"  # built at run time, in sys.modules
TEMPLATE_DIR_ENV = "BENCH_ACCOUNT_TEMPLATE_DIR"

GOAL_P95_MS = 60.0
GOAL_MAX_QUERIES = 8


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_database_arguments(parser, "tipi_bench_account")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per target (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per target first (default 20)")
    parser.add_argument(
        "--debts", type=int, default=100, help="debts of the account, 100 a page (default 100: one full page)"
    )
    parser.add_argument("--page", type=int, default=1, help="the page of the list measured (default 1)")
    parser.add_argument("--references", type=int, default=5, help="debtor references of the user (default 5)")
    parser.add_argument(
        "--cancelled", type=int, default=20, help="cancelled debts of the user, not listed (default 20)"
    )
    parser.add_argument("--other-debts", type=int, default=5000, help="debts of other users (default 5000)")
    parser.add_argument("--gunicorn", action="store_true", help="also measure over HTTP under gunicorn")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn sync workers (default 1)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--keep", action="store_true", help="keep the database and the temporary files")
    return parser.parse_args()


# --- The bench site: the project's URLs plus the static baseline ------------------------


def install_bench_site(template_dir: str) -> None:
    """In this process or gunicorn's, once Django is set up and before any request or template:
    the static template's folder first in DIRS, and a URLconf with the baseline's URL."""
    from django.conf import settings
    from django.contrib.auth.decorators import login_required
    from django.shortcuts import render
    from django.urls import path
    from django.views.decorators.cache import never_cache

    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [template_dir, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates

    @login_required
    @never_cache
    def static_debt_list(request):
        # Decorated and rendered like accounts.views.debt_list; the template has no tag.
        return render(request, STATIC_TEMPLATE)

    from tipiportal.urls import urlpatterns as project_urlpatterns

    module = types.ModuleType(URLCONF_NAME)
    module.urlpatterns = [path(STATIC_PATH.strip("/") + "/", static_debt_list), *project_urlpatterns]
    sys.modules[URLCONF_NAME] = module
    settings.ROOT_URLCONF = URLCONF_NAME


def gunicorn_application():
    """gunicorn 'bench.account_page:gunicorn_application()': the project's WSGI app + the baseline."""
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()  # django.setup() with the environment's settings
    install_bench_site(os.environ[TEMPLATE_DIR_ENV])
    return application


# --- Set-up ---------------------------------------------------------------------------


def account_env(db_url: str, static_root: Path, template_dir: Path) -> dict[str, str]:
    """The production environment (bench.support.production_env) with this benchmark's STATIC_ROOT,
    LOG_LEVEL and the static template's folder."""
    return production_env(
        db_url,
        STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",
        # Production refuses to start without EMAIL_URL; the page sends none. Returns are not posted here.
        EMAIL_URL="dummymail://",
        TIPI_RETURN_ALLOWED_IPS="192.0.2.0/24",
        **{TEMPLATE_DIR_ENV: str(template_dir)},
    )


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    install_bench_site(env[TEMPLATE_DIR_ENV])
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)


def create_data(args: argparse.Namespace, rng: random.Random):
    """The clients, the citizen with their references and debts, other users' debts. Returns the user."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db import transaction as db_transaction
    from django.utils import timezone

    from debts.models import Debt, DebtorReference, ReferenceLink
    from payments.models import TipiClient
    from payments.tipi import Protocol, compose_refdet

    today = timezone.localdate()
    with db_transaction.atomic():
        clients = [
            TipiClient.objects.create(
                numcli="471101", protocol="indigo", label="Restauration scolaire", state=TipiClient.State.ACTIVE
            ),
            TipiClient.objects.create(
                numcli="471102", protocol="indigo", label="Accueil périscolaire", state=TipiClient.State.ACTIVE
            ),
            TipiClient.objects.create(
                numcli="471103", protocol="indigo", label="Conservatoire de musique", state=TipiClient.State.INACTIVE
            ),
        ]
        user = get_user_model().objects.create_user(
            username="famille.martin@example.org", email="famille.martin@example.org", password=secrets.token_urlsafe()
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        others = [
            get_user_model().objects.create_user(username=f"usager{n}@example.org", email=f"usager{n}@example.org")
            for n in range(20)
        ]

        counter = iter(range(1, 10_000_000))

        def debt(client: TipiClient, debtor: DebtorReference, *, state: str) -> Debt:
            number = next(counter)
            online_from = today - datetime.timedelta(days=rng.randint(-30, 540))  # history, a few not yet online
            parts = {"codexer": str(online_from.year), "numtitre": f"{number:08d}", "numordre": "000001"}
            draw = rng.random()
            amount = (
                rng.randint(20, 99)
                if draw < 0.03
                else rng.randint(150_000, 400_000)
                if draw < 0.06
                else (rng.randint(500, 40_000))
            )
            label = rng.choice(["Cantine", "Garderie", "Étude surveillée", "Cours de piano", "Centre de loisirs"])
            return Debt(
                client=client,
                refdet=compose_refdet(Protocol.INDIGO, **parts),
                ref_parts=parts,
                amount_cents=amount,
                debtor_ref=debtor.reference,
                debtor=debtor,
                debtor_name="Famille Martin",
                debtor_address="12 rue des Tilleuls\n44000 Nantes",
                label=f"{label} {online_from:%m/%Y}",
                issued_on=None if rng.random() < 0.05 else online_from - datetime.timedelta(days=rng.randint(0, 5)),
                online_from=online_from,
                online_until=online_from + datetime.timedelta(days=client.online_delay_days),
                state=state,
                raw_record=f"{parts['codexer']}{parts['numtitre']}{parts['numordre']}{amount:015d}"
                f"{debtor.reference:<30}{'FAMILLE MARTIN':<60}{'12 RUE DES TILLEULS 44000 NANTES':<120}"
                f"{label.upper():<60}{online_from:%Y%m%d}",
            )

        def state_of(draw: float) -> str:
            if draw < 0.55:
                return Debt.State.OPEN
            if draw < 0.62:
                return Debt.State.IN_PROGRESS
            return Debt.State.PAID

        debts = []
        references = []
        for n in range(args.references):
            debtor = DebtorReference.objects.create(client=clients[n % len(clients)], reference=f"MARTIN{n + 1:02d}")
            ReferenceLink.objects.create(user=user, debtor=debtor)
            references.append(debtor)
        for n in range(args.debts):
            debtor = references[n % len(references)]
            debts.append(debt(debtor.client, debtor, state=state_of(rng.random())))
        for n in range(args.cancelled):
            debtor = references[n % len(references)]
            debts.append(debt(debtor.client, debtor, state=Debt.State.CANCELLED))
        per_reference = 250
        for n in range(-(-args.other_debts // per_reference)):
            client = clients[n % len(clients)]
            debtor = DebtorReference.objects.create(client=client, reference=f"AUTRE{n:05d}")
            ReferenceLink.objects.create(user=others[n % len(others)], debtor=debtor)
            for _ in range(min(per_reference, args.other_debts - n * per_reference)):
                debts.append(debt(client, debtor, state=state_of(rng.random())))
        Debt.objects.bulk_create(debts, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum would have done after an import
    return user


# --- Measuring ------------------------------------------------------------------------


def summary(samples: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    result = {
        "p50": percentile(samples, 0.50),
        "p95": percentile(samples, 0.95),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
    }
    if cpu:
        result |= {"cpu_p50": percentile(cpu, 0.50), "cpu_p95": percentile(cpu, 0.95)}
    return result


def alternate(
    targets: dict[str, callable], requests: int, warmup: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Calls each target warmup times, then requests times, alternating (ABAB, then BABA…).

    Returns the seconds per timed call, wall clock, and this thread's CPU seconds per call:
    the latter leaves out waiting for PostgreSQL and for a core other processes hold."""
    names = list(targets)
    for _ in range(warmup):
        for name in names:
            targets[name]()
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for round_no in range(requests):
        for name in names if round_no % 2 == 0 else reversed(names):
            started, cpu_started = time.perf_counter(), time.thread_time()
            targets[name]()
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(time.thread_time() - cpu_started)
    return wall, cpu


def client_target(client, path: str):
    def get() -> None:
        response = client.get(path)
        if response.status_code != 200:
            raise SetupError(f"GET {path} answered {response.status_code}")

    return get


def count_queries(client, path: str) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return [query["sql"] for query in captured.captured_queries]


def breakdown(user, requests: int, page_url: str) -> dict[str, dict[str, float]]:
    """The page's time without the client and the middleware: its view called directly (SQL
    time inside it summed by an execute wrapper), and render_to_string of the static copy."""
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.urls import resolve

    view = resolve(PAGE_PATH).func
    request = RequestFactory().get(page_url, SERVER_NAME=HOST)
    request.user = user
    sql_seconds: list[float] = []

    def timed_execute(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_seconds[-1] += time.perf_counter() - started

    def call_view() -> None:
        sql_seconds.append(0.0)
        with connection.execute_wrapper(timed_execute):
            response = view(request)
        if response.status_code != 200:
            raise SetupError(f"the view answered {response.status_code}")

    targets = {
        "view called directly": call_view,
        "render_to_string of the static copy": lambda: render_to_string(STATIC_TEMPLATE, {}, request),
    }
    samples, cpu = alternate(targets, requests, warmup=5)
    results = {name: summary(values, cpu[name]) for name, values in samples.items()}
    timed_sql = sql_seconds[-requests:]
    view_samples = samples["view called directly"]
    results["  of which SQL round trips"] = summary(timed_sql)
    results["  of which Python (view − SQL)"] = summary([v - q for v, q in zip(view_samples, timed_sql)])
    return {
        name: results[name]
        for name in (
            "view called directly",
            "  of which SQL round trips",
            "  of which Python (view − SQL)",
            "render_to_string of the static copy",
        )
    }


# --- gunicorn -------------------------------------------------------------------------


def http_get(port: int, path: str, cookie: str) -> tuple[int, int]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": HOST, "Cookie": cookie})
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body)
    finally:
        conn.close()


def measure_gunicorn(
    args: argparse.Namespace, env: dict[str, str], workdir: Path, cookie: str, page_url: str
) -> tuple[dict[str, dict], str]:
    port = free_port()
    cmd = gunicorn_command("bench.account_page:gunicorn_application()", port, workers=args.workers, worker_class="sync")

    def ready() -> bool:
        status, _ = http_get(port, STATIC_PATH, cookie)
        if status != 200:
            raise SetupError(f"gunicorn answered {status} for {STATIC_PATH}:\n{tail(workdir / 'gunicorn.log')}")
        return True

    with gunicorn(cmd, env, workdir / "gunicorn.log", ready):

        def target(path: str):
            def get() -> None:
                status, _ = http_get(port, path, cookie)
                if status != 200:
                    raise SetupError(f"gunicorn: GET {path} answered {status}:\n{tail(workdir / 'gunicorn.log')}")

            return get

        samples, _ = alternate({"page": target(page_url), "static": target(STATIC_PATH)}, args.requests, args.warmup)
        return {name: summary(values) for name, values in samples.items()}, shlex.join(cmd[1:])


# --- Report ---------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def print_table(title: str, results: dict[str, dict], labels: dict[str, str]) -> None:
    print(title)
    header = f"  {'target':<42}{'p50 ms':>9}{'p95 ms':>9}{'min ms':>9}{'max ms':>9}{'n':>6}{'CPU p50':>9}{'CPU p95':>9}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for name, result in results.items():
        cpu = f"{ms(result['cpu_p50']):>9}{ms(result['cpu_p95']):>9}" if "cpu_p50" in result else f"{'–':>9}{'–':>9}"
        print(
            f"  {labels.get(name, name):<42}{ms(result['p50']):>9}{ms(result['p95']):>9}{ms(result['min']):>9}"
            f"{ms(result['max']):>9}{result['n']:>6}{cpu}"
        )


# --- Main -----------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="tipi-bench-account-"))
    db_created = False
    try:
        rng = random.Random(args.seed)
        idle_load = measure_idle_load()
        print(f"Creating database {args.db_name}…", flush=True)
        create_database(args.postgres_url, args.db_name)
        db_created = True
        template_dir = workdir / "templates"
        (template_dir / Path(STATIC_TEMPLATE).parent).mkdir(parents=True)
        env = account_env(database_url(args.postgres_url, args.db_name), workdir / "static", template_dir)
        setup_django(env)
        from accounts.views import DEBTS_PER_PAGE

        pages = max(1, -(-args.debts // DEBTS_PER_PAGE))
        if not 1 <= args.page <= pages:
            raise SetupError(f"--page {args.page}: {args.debts} debts make {pages} page(s) of {DEBTS_PER_PAGE}")
        expected_rows = min(DEBTS_PER_PAGE, args.debts - (args.page - 1) * DEBTS_PER_PAGE)
        page_url = PAGE_PATH if args.page == 1 else f"{PAGE_PATH}?page={args.page}"
        print(
            f"Creating {args.debts} listed + {args.cancelled} cancelled debts over {args.references} references, "
            f"{args.other_debts} debts of other users…",
            flush=True,
        )
        user = create_data(args, rng)

        from django.conf import settings
        from django.db import connection
        from django.test import Client

        from debts.models import Debt

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0].split()[0]

        client = Client(SERVER_NAME=HOST)
        client.force_login(user)
        first = client.get(page_url)
        if first.status_code != 200:
            raise SetupError(f"GET {page_url} answered {first.status_code}")
        page_html = first.content.decode()
        rows_shown = page_html.count("<tr data-debt-id=")
        if rows_shown != expected_rows:
            raise SetupError(f"page {args.page} lists {rows_shown} debts, {expected_rows} expected")
        # The baseline: the page's own HTML as a template without any tag (verbatim if it held braces).
        static_source = page_html
        if any(mark in page_html for mark in ("{%", "{{", "{#")):
            static_source = "{% verbatim %}" + page_html + "{% endverbatim %}"
        (template_dir / STATIC_TEMPLATE).write_text(static_source)
        static_first = client.get(STATIC_PATH)
        sizes = {"page": len(first.content), "static": len(static_first.content)}

        page_queries = count_queries(client, page_url)
        static_queries = count_queries(client, STATIC_PATH)

        print(f"Timing {args.requests} requests of each (after {args.warmup} of warm-up), alternating…", flush=True)
        busy_before = machine_busy()
        samples, cpu = alternate(
            {"page": client_target(client, page_url), "static": client_target(client, STATIC_PATH)},
            args.requests,
            args.warmup,
        )
        busy_after = machine_busy()
        run_load = busy_share(busy_before, busy_after)
        results = {name: summary(values, cpu[name]) for name, values in samples.items()}
        parts = breakdown(user, min(args.requests, 100), page_url)

        gunicorn_results = None
        if args.gunicorn:
            cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
            connection.close()
            print(f"Timing the same under gunicorn ({args.workers} sync worker(s))…", flush=True)
            gunicorn_results, gunicorn_cmd = measure_gunicorn(args, env, workdir, cookie, page_url)

        states = dict.fromkeys(("payable", "in_progress", "paid", "expired", "not_yet", "card_limit", "unavailable"), 0)
        for code in states:
            states[code] = page_html.count(f'status-{code}"')

        # --- Report ---
        print()
        print(
            f"Account page benchmark — {os.cpu_count()} cores, PostgreSQL {pg_version}, Django settings "
            f"tipiportal.settings (DEBUG=0), in-process django.test.Client"
        )
        print(
            f"Machine busy before the run: {idle_load:.0%}, during the timed requests: {run_load:.0%} "
            f"(a single-threaded run uses at most {1 / (os.cpu_count() or 1):.0%})"
            + (" — other processes were running: the figures are noisy" if idle_load > 0.15 else "")
        )
        print(
            f"Data: 1 verified user, {args.references} references, {args.debts} debts listed in {pages} page(s), "
            f"{rows_shown} on page {args.page} measured "
            f"({', '.join(f'{k} {v}' for k, v in states.items() if v)}), {args.cancelled} cancelled (hidden); "
            f"{Debt.objects.count()} debts in the table"
        )
        print(f"Response size: page {sizes['page']:,} bytes, static baseline {sizes['static']:,} bytes")
        print(
            "Baseline: a copy of the page's HTML in a template without tags, served through the same client,"
            " middleware, login_required, never_cache and render(); requested alternately with the page"
        )
        print()
        labels = {"page": f"page        GET {page_url}", "static": f"static copy GET {STATIC_PATH}"}
        print_table("Through django.test.Client (full middleware stack, no HTTP server)", results, labels)
        ratio50 = results["page"]["p50"] / results["static"]["p50"]
        ratio95 = results["page"]["p95"] / results["static"]["p95"]
        print(f"  page / static: p50 ×{ratio50:.2f}, p95 ×{ratio95:.2f}")
        print(
            "  (ms: wall clock per request; CPU: this thread's CPU time per request, which leaves out"
            " PostgreSQL and the time spent waiting for a core other processes hold)"
        )
        print()
        print_table("The page's view alone (no client, no middleware, no session or user query)", parts, {})
        if gunicorn_results:
            print()
            print_table(
                f"Over HTTP, gunicorn {args.workers} sync worker(s), one request at a time", gunicorn_results, labels
            )
            g50 = gunicorn_results["page"]["p50"] / gunicorn_results["static"]["p50"]
            g95 = gunicorn_results["page"]["p95"] / gunicorn_results["static"]["p95"]
            print(f"  page / static: p50 ×{g50:.2f}, p95 ×{g95:.2f}")
            print(f"  gunicorn command: DJANGO_SETTINGS_MODULE=tipiportal.settings {gunicorn_cmd}")
        print()
        print(f"SQL queries per request: page {len(page_queries)}, static baseline {len(static_queries)}")
        for n, sql in enumerate(page_queries, 1):
            print(f"  {n}. {sql[:150]}{'…' if len(sql) > 150 else ''}")
        print()
        goals = [
            (
                f"page p95 < {GOAL_P95_MS:.0f} ms (test client)",
                results["page"]["p95"] * 1000 < GOAL_P95_MS,
                f"{ms(results['page']['p95'])} ms",
            ),
            (
                f"≤ {GOAL_MAX_QUERIES} SQL queries per page",
                len(page_queries) <= GOAL_MAX_QUERIES,
                str(len(page_queries)),
            ),
        ]
        if gunicorn_results:
            goals.append(
                (
                    f"page p95 < {GOAL_P95_MS:.0f} ms (gunicorn)",
                    gunicorn_results["page"]["p95"] * 1000 < GOAL_P95_MS,
                    f"{ms(gunicorn_results['page']['p95'])} ms",
                )
            )
        print("Goals")
        for label, ok, value in goals:
            print(f"  [{'met' if ok else 'MISSED'}] {label}: {value}")
        print()
        print("All goals met." if all(ok for _, ok, _ in goals) else "Some goals are NOT met.")
        print(f"Ran in {time.monotonic() - started:.0f} s.")
        return 0
    except SetupError as exc:
        print(f"Set-up failed: {exc}", file=sys.stderr)
        return 2
    finally:
        clean_up(args, workdir, db_created)


if __name__ == "__main__":
    sys.exit(main())
