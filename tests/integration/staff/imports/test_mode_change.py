"""After a dry run the agent switches between "tout ou rien" and "partiel" without uploading again."""

import os

import lxml.html
import pytest

from debts.models import Debt, ImportBatch
from tests.factories import TipiClientFactory
from tests.integration.staff.imports.test_views import batch_from, indigo_file, upload

pytestmark = pytest.mark.django_db


def mode_radios(page: str) -> dict[str, str]:
    """The mode form's radio buttons: value -> the text of the label beside it."""
    tree = lxml.html.fromstring(page)
    form = tree.get_element_by_id("mode-change")
    return {
        radio.get("value"): form.xpath(f"string(.//label[@for='{radio.get('id')}'])")
        for radio in form.xpath(".//input[@type='radio']")
    }


def test_a_rejected_all_or_nothing_dry_run_is_done_again_in_partial_mode_and_imported(staff):
    tipi_client = TipiClientFactory()
    rejected = batch_from(upload(staff, indigo_file(good=3, bad=["12A4"]), tipi_client))
    assert rejected.state == "rejected"
    radios = mode_radios(staff.get(f"/gestion/imports/{rejected.pk}/").text)
    assert radios == {
        "complete": "Complète (tout ou rien)",
        "partial": "Partielle (les lignes correctes sont importées)",
    }
    partial = batch_from(staff.post(f"/gestion/imports/{rejected.pk}/changer-de-mode/", {"mode": "partial"}))
    assert (partial.dry_run, partial.mode, partial.state, partial.rejected) == (True, "partial", "done", 1)
    assert partial.file_sha256 == rejected.file_sha256
    rejected.refresh_from_db()
    assert not os.path.exists(rejected.file_path)  # the new dry run holds its own copy
    real = batch_from(staff.post(f"/gestion/imports/{partial.pk}/confirmer/"))
    assert (real.mode, real.state, real.imported) == ("partial", "done", 3)
    assert Debt.objects.count() == 3


def test_a_partial_dry_run_is_done_again_all_or_nothing(staff):
    tipi_client = TipiClientFactory()
    partial = batch_from(upload(staff, indigo_file(good=2), tipi_client, mode="partial"))
    page = staff.get(f"/gestion/imports/{partial.pk}/").text
    checked = lxml.html.fromstring(page).get_element_by_id("mode-change").xpath(".//input[@checked]/@value")
    assert checked == ["complete"]  # the other mode is offered
    complete = batch_from(staff.post(f"/gestion/imports/{partial.pk}/changer-de-mode/", {"mode": "complete"}))
    assert (complete.mode, complete.state) == ("complete", "done")
    assert "Confirmer l'import (mode « Complète (tout ou rien) »)" in staff.get(f"/gestion/imports/{complete.pk}/").text


def test_a_real_import_cannot_change_mode(staff):
    tipi_client = TipiClientFactory()
    dry_run = batch_from(upload(staff, indigo_file(good=2), tipi_client))
    real = batch_from(staff.post(f"/gestion/imports/{dry_run.pk}/confirmer/"))
    assert 'id="mode-change"' not in staff.get(f"/gestion/imports/{real.pk}/").text
    response = staff.post(f"/gestion/imports/{real.pk}/changer-de-mode/", {"mode": "partial"}, follow=True)
    assert "Seul un essai à blanc terminé peut être refait dans un autre mode." in response.content.decode()
    assert ImportBatch.objects.count() == 2


def test_an_unknown_mode_is_refused_in_french(staff):
    tipi_client = TipiClientFactory()
    dry_run = batch_from(upload(staff, indigo_file(good=2), tipi_client))
    response = staff.post(f"/gestion/imports/{dry_run.pk}/changer-de-mode/", {"mode": "tout"}, follow=True)
    assert "Choisissez le mode d&#x27;import." in response.content.decode()
    assert ImportBatch.objects.count() == 1
