"""Staff import pages: upload, dry run run by the task, report, CSV, confirmation, refusal of a second import."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from debts.importers import DebtRecord, indigo
from debts.importers.samples import write_indigo, write_regie, write_rolmre
from debts.models import Debt, ImportBatch, ImportIssue
from tests.factories import RegieClientFactory, RolmreClientFactory, TipiClientFactory

pytestmark = pytest.mark.django_db


def record(number: int, amount: int = 3808, ref: str = "D0000001", name: str = "LEFÈVRE MARIE") -> DebtRecord:
    return DebtRecord(
        line_no=0,
        amount_cents=amount,
        debtor_ref=ref,
        debtor_name=name,
        ref_parts={"codexer": "2026", "numtitre": f"{number:08d}", "numordre": "000001", "nature_titre": "01"},
        debtor_address="12 RUE DE L'ÉGLISE\n42000 SAINT-ÉTIENNE",
        label="CANTINE SCOLAIRE MARS 2026",
        issued_on=None,
        taken_in_charge_on=None,
        raw="",
    )


def bad_amount_line(number: int, amount: str) -> bytes:
    """A well-formed INDIGO line whose MONTANT zone holds ``amount`` (not a number)."""
    out = io.BytesIO()
    write_indigo(out, [record(number)])
    line = out.getvalue().decode("iso8859-15").rstrip("\n")
    zone = indigo.LAYOUT.fields["MONTANT"]
    line = line[: zone.start - 1] + amount.ljust(zone.width) + line[zone.end :]
    return (line + "\n").encode("iso8859-15")


def indigo_file(good: int = 3, bad: list[str] = (), first: int = 1) -> bytes:
    out = io.BytesIO()
    write_indigo(out, [record(first + n, ref=f"D{first + n:07d}") for n in range(good)])
    for n, amount in enumerate(bad):
        out.write(bad_amount_line(900 + n, amount))
    return out.getvalue()


def upload(staff, content: bytes, tipi_client, name="titres.txt", **fields):
    data = {"client": tipi_client.pk, "mode": "complete", "fmt": "", "encoding": ""}
    data.update(fields)
    data["file"] = SimpleUploadedFile(name, content, content_type="text/plain")
    return staff.post("/gestion/imports/nouveau/", data)


def batch_from(response) -> ImportBatch:
    assert response.status_code == 302, getattr(response, "text", "")[:3000]
    match = re.fullmatch(r"/gestion/imports/(\d+)/", response["Location"])
    assert match, response["Location"]
    return ImportBatch.objects.get(pk=int(match.group(1)))


# --- The upload form ----------------------------------------------------------------------


def test_upload_form_offers_clients_formats_modes_and_encoding(staff):
    indigo_client = TipiClientFactory(label="Cantine")
    rolmre_client = RolmreClientFactory(label="Eau")
    text = staff.get("/gestion/imports/nouveau/").text
    assert f'<option value="{indigo_client.pk}" data-format="indigo">' in text
    assert f'<option value="{rolmre_client.pk}" data-format="rolmre">' in text
    for label in ("INDIGO", "ROLMRE", "PES V2 Recette", "Celui du protocole du client", "Détection automatique"):
        assert label in text
    # Each mode is explained in French.
    assert "Complète (tout ou rien)" in text and "aucune dette du fichier n&#x27;est importée" in text
    assert "Partielle (les lignes correctes sont importées)" in text and "les lignes en anomalie sont écartées" in text
    assert 'enctype="multipart/form-data"' in text
    assert '<label for="id_file">Fichier</label>' in text


def test_single_client_is_preselected_with_its_format(staff):
    only = RolmreClientFactory()
    text = staff.get("/gestion/imports/nouveau/").text
    assert f'<option value="{only.pk}" selected data-format="rolmre">' in text
    assert '<option value="rolmre" selected>' in text


def test_upload_errors_are_in_french(staff):
    response = staff.post("/gestion/imports/nouveau/", {"mode": "complete"})
    assert response.status_code == 400
    assert "Choisissez le client TIPI." in response.text and "Choisissez le fichier à importer." in response.text
    assert not ImportBatch.objects.exists()


def test_empty_file_is_refused(staff):
    response = upload(staff, b"", TipiClientFactory())
    assert response.status_code == 400 and "Le fichier envoyé est vide." in response.text


def test_file_over_the_size_limit_is_refused(staff, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    response = upload(staff, indigo_file(good=3), TipiClientFactory())
    assert response.status_code == 400
    assert "Le fichier est trop volumineux (1 Ko) : 1 Ko au plus." in response.text
    assert "1 Ko au plus" in staff.get("/gestion/imports/nouveau/").text
    assert not ImportBatch.objects.exists()


def test_format_not_of_the_clients_protocol_is_refused_in_french(staff):
    tipi_client = TipiClientFactory()
    response = upload(staff, indigo_file(), tipi_client, fmt="rolmre")
    assert response.status_code == 400
    assert f"Le client {tipi_client.numcli} utilise le protocole INDIGO (titres)" in response.text
    assert "un fichier ROLMRE ne peut pas lui être destiné" in response.text
    assert not ImportBatch.objects.exists()


# --- Dry run, report, confirmation -------------------------------------------------------------


def test_dry_run_then_confirm_imports_the_debts(staff, staff_user, imports_dir):
    tipi_client = TipiClientFactory(label="Cantine")
    content = indigo_file(good=3)
    dry_run = batch_from(upload(staff, content, tipi_client, name="titres-mars.txt"))
    # The task ran (immediate backend): a finished dry run, nothing written.
    assert (dry_run.dry_run, dry_run.state, dry_run.fmt, dry_run.mode) == (True, "done", "indigo", "complete")
    assert (dry_run.filename, dry_run.created_by, dry_run.records_read, dry_run.rejected) == (
        "titres-mars.txt",
        staff_user,
        3,
        0,
    )
    assert not Debt.objects.exists()
    assert list(imports_dir.iterdir())  # the received copy waits for the confirmation

    page = staff.get(f"/gestion/imports/{dry_run.pk}/")
    text = page.text
    assert 'data-finished="true"' in text
    assert '<progress id="import-progress" max="100" value="100">100 %</progress>' in text
    assert '<label for="import-progress"' in text and 'aria-live="polite"' in text
    assert "Essai à blanc terminé" in text and "aucune dette n'a encore été enregistrée" in text
    assert "Aucune anomalie." in text
    assert (
        f'action="/gestion/imports/{dry_run.pk}/confirmer/"' in text
        and "Confirmer l'import (mode « Complète (tout ou rien) »)</button>" in text
    )
    assert "data-confirm=" in text
    assert f'href="/gestion/imports/{dry_run.pk}/rapport.csv"' in text

    response = staff.post(f"/gestion/imports/{dry_run.pk}/confirmer/")
    real = batch_from(response)
    assert real.pk != dry_run.pk
    assert (real.dry_run, real.state, real.imported, real.created_by) == (False, "done", 3, staff_user)
    assert real.file_sha256 == dry_run.file_sha256
    assert Debt.objects.filter(client=tipi_client, batch=real).count() == 3
    debt = Debt.objects.get(refdet="202600000001000001")
    assert (debt.amount_cents, debt.debtor_ref, debt.debtor_name) == (3808, "D0000001", "LEFÈVRE MARIE")
    assert debt.debtor is not None and debt.debtor.access_code

    page = staff.get(f"/gestion/imports/{real.pk}/")
    assert "Import confirmé" in page.text
    assert "Import terminé : 3 dettes importées." in page.text
    assert 'confirmer/"' not in page.text
    # The batches list shows both.
    listing = staff.get("/gestion/imports/").text
    assert listing.count("titres-mars.txt") == 2


def test_the_same_file_is_refused_the_second_time(staff):
    tipi_client = TipiClientFactory()
    content = indigo_file(good=2)
    first = batch_from(upload(staff, content, tipi_client))
    batch_from(staff.post(f"/gestion/imports/{first.pk}/confirmer/"))
    assert Debt.objects.count() == 2

    # Confirming the same dry run again is refused.
    again = staff.post(f"/gestion/imports/{first.pk}/confirmer/", follow=True)
    assert again.redirect_chain == [(f"/gestion/imports/{first.pk}/", 302)]
    assert "Ce fichier a déjà été importé le" in again.text
    assert "il n&#x27;est pas importé une seconde fois" in again.text

    # Uploading it again: the dry run says so, offers no confirmation, and a forced POST is refused.
    second = batch_from(upload(staff, content, tipi_client, name="titres-bis.txt"))
    assert (second.state, second.identical, second.imported) == ("done", 2, 0)
    page = staff.get(f"/gestion/imports/{second.pk}/").text
    assert "Ce fichier a déjà été importé le" in page and "il ne peut pas l'être une seconde fois" in page
    assert 'confirmer/"' not in page
    forced = staff.post(f"/gestion/imports/{second.pk}/confirmer/", follow=True)
    assert "Ce fichier a déjà été importé le" in forced.text
    assert ImportBatch.objects.filter(dry_run=False).count() == 1
    assert Debt.objects.count() == 2


def test_only_a_finished_dry_run_can_be_confirmed(staff):
    tipi_client = TipiClientFactory()
    queued = ImportBatch.objects.create(
        client=tipi_client, fmt="indigo", dry_run=True, filename="f", file_sha256="1" * 64
    )
    response = staff.post(f"/gestion/imports/{queued.pk}/confirmer/", follow=True)
    assert "Seul un essai à blanc terminé peut être confirmé." in response.text
    assert ImportBatch.objects.count() == 1


def test_complete_mode_with_errors_is_rejected_and_reported(staff):
    tipi_client = TipiClientFactory()
    batch = batch_from(upload(staff, indigo_file(good=3, bad=["12A4"]), tipi_client))
    assert (batch.state, batch.rejected, batch.records_read) == ("rejected", 1, 3)
    text = staff.get(f"/gestion/imports/{batch.pk}/").text
    assert "Fichier rejeté : aucune dette n'a été importée." in text
    assert "En mode complet (tout ou rien)" in text
    assert f'action="/gestion/imports/{batch.pk}/confirmer/"' not in text
    assert "Lignes en anomalie (1)" in text
    row = re.search(r"<tbody>\s*<tr>(.*?)</tr>", text, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == ["4", "", "Ligne incorrecte", "MONTANT", "12A4", "Montant (MONTANT) non numérique"]
    assert staff.post(f"/gestion/imports/{batch.pk}/confirmer/").status_code == 302
    assert ImportBatch.objects.count() == 1 and not Debt.objects.exists()


def test_partial_mode_imports_the_good_lines(staff):
    tipi_client = TipiClientFactory()
    dry_run = batch_from(upload(staff, indigo_file(good=3, bad=["12A4", "XX"]), tipi_client, mode="partial"))
    assert (dry_run.state, dry_run.rejected) == ("done", 2)
    text = staff.get(f"/gestion/imports/{dry_run.pk}/").text
    assert "Mode partiel : les 2 lignes en anomalie seront écartées" in text
    real = batch_from(staff.post(f"/gestion/imports/{dry_run.pk}/confirmer/"))
    assert (real.mode, real.state, real.imported, real.rejected) == ("partial", "done", 3, 2)
    assert Debt.objects.count() == 3


def test_unusable_file_fails_and_shows_why(staff):
    tipi_client = TipiClientFactory()
    batch = batch_from(upload(staff, b"ceci n'est pas un fichier INDIGO\n", tipi_client))
    assert batch.state == "failed"
    text = staff.get(f"/gestion/imports/{batch.pk}/").text
    assert "L'import a échoué : aucune dette n'a été importée." in text
    assert "Ce fichier n&#x27;est pas au format INDIGO : ses lignes ne font pas 452 caractères" in text
    assert 'confirmer/"' not in text


def test_rolmre_file_for_a_rolmre_client(staff):
    tipi_client = RolmreClientFactory()
    out = io.BytesIO()
    write_rolmre(out, 4, seed=7)
    dry_run = batch_from(upload(staff, out.getvalue(), tipi_client, name="roles.txt"))
    assert (dry_run.fmt, dry_run.state, dry_run.records_read) == ("rolmre", "done", 4)


def test_forced_encoding_is_passed_to_the_import(staff):
    tipi_client = TipiClientFactory()
    batch = batch_from(upload(staff, indigo_file(good=1), tipi_client, encoding="iso-8859-15"))
    assert (batch.encoding, batch.state) == ("iso-8859-15", "done")


# --- Progress -----------------------------------------------------------------------------------


def test_status_endpoint_reads_the_progress_from_the_database(staff):
    tipi_client = TipiClientFactory()
    batch = ImportBatch.objects.create(
        client=tipi_client,
        fmt="indigo",
        dry_run=True,
        filename="gros.txt",
        file_sha256="2" * 64,
        file_size=1000,
        bytes_read=500,
        records_read=1200,
        state=ImportBatch.State.RUNNING,
        phase="Lecture du fichier",
    )
    response = staff.get(f"/gestion/imports/{batch.pk}/etat/")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert response.json() == {
        "id": batch.pk,
        "state": "running",
        "state_label": "En cours",
        "phase": "Lecture du fichier",
        "percent": 45,
        "finished": False,
        "counts": {"records_read": 1200, "imported": 0, "identical": 0, "rejected": 0},
    }
    # The page shows the same, so a reload keeps the bar where it was; it polls while unfinished.
    text = staff.get(f"/gestion/imports/{batch.pk}/").text
    assert '<progress id="import-progress" max="100" value="45">45 %</progress>' in text
    assert 'data-finished="false"' in text and f'data-status-url="/gestion/imports/{batch.pk}/etat/"' in text
    assert "Lecture du fichier" in text and "Résultat" not in text
    assert "/static/js/staff.js" in text
    batch.state, batch.bytes_read, batch.phase = ImportBatch.State.DONE, 1000, ""
    batch.save()
    assert staff.get(f"/gestion/imports/{batch.pk}/etat/").json()["finished"] is True


def test_upload_enqueues_the_task_and_the_page_waits(staff, settings):
    """With the database queue, the request only queues the work: the page shows it waiting."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    batch = batch_from(upload(staff, indigo_file(good=2), TipiClientFactory()))
    assert batch.state == "queued"
    task = DBTaskResult.objects.get()
    assert task.task_path == "debts.tasks.import_batch_run" and task.args_kwargs["args"] == [batch.pk]
    text = staff.get(f"/gestion/imports/{batch.pk}/").text
    assert "En attente" in text and 'data-finished="false"' in text and 'value="0"' in text


# --- Issues list and CSV report --------------------------------------------------------------------


def test_issues_are_paginated_by_100(staff):
    tipi_client = TipiClientFactory()
    batch = ImportBatch.objects.create(
        client=tipi_client,
        fmt="indigo",
        dry_run=True,
        filename="f",
        file_sha256="3" * 64,
        state="rejected",
        rejected=130,
    )
    ImportIssue.objects.bulk_create(
        ImportIssue(batch=batch, line_no=n, field="MONTANT", value=str(n), message=f"Erreur {n}") for n in range(1, 131)
    )
    first = staff.get(f"/gestion/imports/{batch.pk}/").text
    assert "Lignes en anomalie (130)" in first
    assert first.count("<td>Ligne incorrecte</td>") == 100
    assert "Erreur 100<" in first and "Erreur 101<" not in first
    assert 'href="?page=2#anomalies"' in first
    second = staff.get(f"/gestion/imports/{batch.pk}/?page=2").text
    assert second.count("<td>Ligne incorrecte</td>") == 30 and "Erreur 101<" in second


def test_csv_report_for_excel(staff):
    tipi_client = TipiClientFactory()
    batch = batch_from(upload(staff, indigo_file(good=2, bad=["=SOMME(A1)", "12;4"]), tipi_client, mode="partial"))
    ImportIssue.objects.create(
        batch=batch,
        kind="duplicate",
        line_no=7,
        piece_id="P12",
        field="REFDET",
        value="2026",
        message="En double ; « ligne »",
    )
    response = staff.get(f"/gestion/imports/{batch.pk}/rapport.csv")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="compte-rendu-import-{batch.pk}.csv"'
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == "ligne;pièce;nature;champ;valeur;message"
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1:] == [
        ["3", "", "Ligne incorrecte", "MONTANT", "'=SOMME(A1)", "Montant (MONTANT) non numérique"],
        ["4", "", "Ligne incorrecte", "MONTANT", "12;4", "Montant (MONTANT) non numérique"],
        ["7", "P12", "Référence en double dans le fichier", "REFDET", "2026", "En double ; « ligne »"],
    ]


def test_csv_report_without_issues_has_its_header(staff):
    batch = batch_from(upload(staff, indigo_file(good=1), TipiClientFactory()))
    body = b"".join(staff.get(f"/gestion/imports/{batch.pk}/rapport.csv").streaming_content)
    assert body == "\ufeffligne;pièce;nature;champ;valeur;message\r\n".encode()


# --- Régie invoices (CSV) through the same pages and queue -------------------------------------


def test_a_regie_csv_goes_through_the_upload_dry_run_and_confirmation(staff):
    canteen = RegieClientFactory(label="Régie cantine")
    text = staff.get("/gestion/imports/nouveau/").text
    assert f'<option value="{canteen.pk}" selected data-format="regie">' in text
    out = io.BytesIO()
    stats = write_regie(out, 40, seed=5, bad_share=0.1)
    dry_run = batch_from(upload(staff, out.getvalue(), canteen, name="factures.csv", mode="partial"))
    assert (dry_run.fmt, dry_run.state, dry_run.imported, dry_run.rejected) == ("regie", "done", stats.debts, stats.bad)
    page = staff.get(f"/gestion/imports/{dry_run.pk}/").text
    assert "Régie" in page and "Ligne" in page
    real = batch_from(staff.post(f"/gestion/imports/{dry_run.pk}/confirmer/"))
    assert (real.state, real.imported) == ("done", stats.debts)
    assert Debt.objects.filter(client=canteen).exclude(invoice_reference="").count() == stats.debts
