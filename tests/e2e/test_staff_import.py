"""A staff member imports a debt file in real Chromium: login, upload, live progress, report, confirmation.

The import runs in a real django-tasks-db worker (a thread of this process, on the test database),
so the progress bar follows what the worker writes, exactly as with `manage.py db_worker`.
"""

import io
import re
import threading

import pytest
from django.db import connection
from playwright.sync_api import expect

from debts.importers import DebtRecord, indigo
from debts.importers.samples import write_indigo
from debts.models import Debt, ImportBatch
from debts.services import imports
from tests.e2e.conftest import serious_violations
from tests.factories import DebtFactory, TipiClientFactory, staff_member

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "mot-de-passe-agent-e2e"


@pytest.fixture
def staff_user():
    return staff_member("agent", PASSWORD, email="agent@mairie.example")


@pytest.fixture(autouse=True)
def imports_dir(settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path / "imports"


class PausedImport:
    """Holds the worker once the import's first chunk is staged and its progress committed.

    Small chunks so that the first one is a fraction of the file; the hook is the import's own
    progress writer, so what the page shows is exactly what the worker wrote.
    """

    def __init__(self, monkeypatch) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()
        self.paused = False
        original = imports._progress

        def progress(batch, **fields):
            original(batch, **fields)
            if not self.paused and fields.get("records_read"):
                self.paused = True
                self.reached.set()
                self.release.wait(60)

        monkeypatch.setattr(imports, "CHUNK", 250)
        monkeypatch.setattr(imports, "_progress", progress)


@pytest.fixture
def paused_import(monkeypatch):
    paused = PausedImport(monkeypatch)
    yield paused
    paused.release.set()


@pytest.fixture
def worker(live_server):
    """A real django-tasks-db worker in a background thread; start() it when the test wants it."""
    from django_tasks_db.management.commands.db_worker import Worker

    runner = Worker(
        queue_names=["default"],
        interval=0.2,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="e2e",
        excluded_queue_names=[],
    )
    errors = []

    def run():
        try:
            runner.run()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="db-worker-e2e", daemon=True)
    runner.start = thread.start
    yield runner
    runner.running = False
    if thread.is_alive() or thread.ident:
        thread.join(15)
    assert not thread.is_alive(), "the worker did not stop"
    assert errors == []


def indigo_file(count: int, bad_every: int) -> bytes:
    """``count`` one-line INDIGO titres, with a non-numeric amount every ``bad_every`` lines."""
    records = [
        DebtRecord(
            line_no=0,
            amount_cents=1000 + n,
            debtor_ref=f"D{n:07d}",
            debtor_name=f"LEFÈVRE MARIE {n}",
            ref_parts={"codexer": "2026", "numtitre": f"{n:08d}", "numordre": "000001", "nature_titre": "01"},
            debtor_address="12 RUE DE L'ÉGLISE\n42000 SAINT-ÉTIENNE",
            label="CANTINE SCOLAIRE MARS 2026",
            issued_on=None,
            taken_in_charge_on=None,
            raw="",
        )
        for n in range(1, count + 1)
    ]
    out = io.BytesIO()
    write_indigo(out, records)
    zone = indigo.LAYOUT.fields["MONTANT"]
    lines = out.getvalue().split(b"\n")
    for index in range(bad_every - 1, count, bad_every):
        lines[index] = lines[index][: zone.start - 1] + b"12A4".ljust(zone.width) + lines[index][zone.end :]
    return b"\n".join(lines)


def log_in(page, portal, next_path):
    page.goto(f"{portal}{next_path}")
    expect(page).to_have_url(re.compile(r"/gestion/admin/login/\?next="))
    page.locator("#id_username").fill("agent")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit], button[type=submit]").first.click()
    expect(page).to_have_url(f"{portal}{next_path}")


def progress_value(page) -> int:
    return page.locator("#import-progress").evaluate("el => el.value")


def test_staff_imports_a_file_with_live_progress_then_confirms(page, portal, staff_user, worker, paused_import):
    tipi_client = TipiClientFactory(label="Cantine de Saint-Étienne")
    content = indigo_file(1000, bad_every=100)

    log_in(page, portal, "/gestion/imports/nouveau/")
    expect(page.get_by_role("heading", name="Importer un fichier de dettes")).to_be_visible()
    expect(page.get_by_label("Client TIPI")).to_have_value(str(tipi_client.pk))
    expect(page.get_by_label("Format du fichier")).to_have_value("indigo")
    page.get_by_label("Partielle (les lignes correctes sont importées)").check()
    page.get_by_label("Fichier", exact=True).set_input_files(
        {"name": "titres-mars.txt", "mimeType": "text/plain", "buffer": content}
    )
    page.get_by_role("button", name="Contrôler le fichier (essai à blanc)").click()

    # The batch page: queued, the bar at 0 %, nothing runs until the worker starts.
    expect(page.get_by_role("heading", name="Essai à blanc du fichier « titres-mars.txt »")).to_be_visible()
    dry_run = ImportBatch.objects.get()
    expect(page).to_have_url(f"{portal}/gestion/imports/{dry_run.pk}/")
    bar = page.get_by_role("progressbar", name="Progression de l'import")
    expect(bar).to_be_visible()
    expect(page.locator("#batch-state")).to_have_text("En attente")
    expect(page.locator("#import-progress-text")).to_have_text("0 %")

    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    worker.start()
    assert paused_import.reached.wait(30), "the worker did not start the import"

    # The worker is held mid-file: the page, polling, shows it running and part-way, without reloading.
    expect(page.locator("#batch-state")).to_have_text("En cours")
    expect(page.locator("#batch-phase")).to_have_text("Lecture du fichier")
    page.wait_for_function(
        "() => { const v = document.getElementById('import-progress').value; return v > 0 && v < 90; }"
    )
    expect(page.locator("#import-progress-text")).to_have_text(re.compile(r"^[1-8]?\d %$"))
    expect(page.locator('[data-count="records_read"]')).not_to_have_text("0")
    assert navigations == []
    seen = progress_value(page)
    assert 0 < seen < 90

    # A reload keeps the bar where it was: it is read from the database.
    page.reload()
    expect(page.locator("#batch-state")).to_have_text("En cours")
    assert progress_value(page) == seen

    # Released, the import ends; the page reloads by itself and shows the report.
    paused_import.release.set()
    expect(page.get_by_role("heading", name="Résultat")).to_be_visible(timeout=30_000)
    expect(page.locator("#import-progress-text")).to_have_text("100 %")
    expect(page.get_by_text("Essai à blanc terminé")).to_be_visible()
    expect(page.get_by_text("Mode partiel : les 10 lignes en anomalie seront écartées")).to_be_visible()
    issues = page.get_by_role("table", name="Lignes en anomalie (10)")
    expect(issues.get_by_role("row")).to_have_count(11)
    expect(issues.get_by_role("row").nth(1)).to_contain_text("Montant (MONTANT) non numérique")
    expect(page.get_by_role("link", name="Télécharger le compte rendu (CSV)")).to_have_attribute(
        "href", f"/gestion/imports/{dry_run.pk}/rapport.csv"
    )
    dry_run.refresh_from_db()
    assert (dry_run.state, dry_run.rejected, dry_run.imported) == ("done", 10, 990)  # 990 would be imported
    assert not Debt.objects.exists()

    # Confirming asks first: dismissing changes nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page).to_have_url(f"{portal}/gestion/imports/{dry_run.pk}/")
    assert ImportBatch.objects.count() == 1

    messages = []

    def accept(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Confirmer l'import").click()
    expect(page.get_by_role("heading", name="Import du fichier « titres-mars.txt »")).to_be_visible()
    assert messages and "Confirmer l'import de « titres-mars.txt » pour Cantine de Saint-Étienne" in messages[0]
    expect(page.get_by_text("Import terminé : 990 dettes importées.")).to_be_visible(timeout=30_000)
    real = ImportBatch.objects.get(dry_run=False)
    assert (real.state, real.imported, real.created_by) == ("done", 990, staff_user)
    assert Debt.objects.filter(batch=real).count() == 990

    # The list shows both batches.
    page.get_by_role("navigation", name="Menu de la gestion").get_by_role("link", name="Imports").click()
    expect(page.get_by_role("table").get_by_role("link")).to_have_count(2)


def test_staff_pages_have_no_serious_accessibility_violation(page, portal, staff_user):
    debt = DebtFactory(amount_cents=150_000)
    batch = ImportBatch.objects.create(
        client=debt.client,
        fmt="indigo",
        dry_run=True,
        filename="titres.txt",
        file_sha256="0" * 64,
        state=ImportBatch.State.RUNNING,
        file_size=1000,
        bytes_read=400,
        phase="Lecture du fichier",
    )
    log_in(page, portal, "/gestion/")
    failures = {}
    for path in (
        "/gestion/",
        "/gestion/imports/",
        "/gestion/imports/nouveau/",
        f"/gestion/imports/{batch.pk}/",
        "/gestion/dettes/",
        f"/gestion/dettes/{debt.pk}/",
        f"/gestion/dettes/{debt.pk}/annuler/",
    ):
        page.goto(f"{portal}{path}")
        failures[path] = serious_violations(page)
    page.goto(f"{portal}/gestion/imports/nouveau/")
    page.get_by_role("button", name="Contrôler le fichier (essai à blanc)").click()
    failures["formulaire d'import en erreur"] = serious_violations(page)
    assert {path: found for path, found in failures.items() if found} == {}


def test_cancel_a_debt_from_its_page(page, portal, staff_user):
    debt = DebtFactory(amount_cents=3808)
    log_in(page, portal, f"/gestion/dettes/{debt.pk}/")
    page.get_by_role("link", name="Annuler la dette").click()
    page.get_by_role("button", name="Confirmer l'annulation").click()
    expect(page.get_by_text("Indiquez le motif")).to_be_visible()
    page.get_by_label("Motif").fill("Titre annulé par le comptable public")
    page.get_by_role("button", name="Confirmer l'annulation").click()
    expect(page.get_by_role("status").filter(has_text="Dette annulée.")).to_be_visible()
    expect(page.get_by_role("table", name="Actions des agents sur cette dette")).to_contain_text(
        "Titre annulé par le comptable public"
    )
    debt.refresh_from_db()
    assert debt.state == Debt.State.CANCELLED
