"""Chorus Pro leftovers (issue 15 §5): A_RECYCLER, SUSPENDUE, COMPLETEE acted on; an invoice left
"sending" by a crashed worker taken back (lease), retried once, then failed for staff."""

import datetime

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from choruspro.models import SEND_INTERRUPTED, SEND_LEASE, ChorusInvoice
from choruspro.sandbox.models import SandboxInvoice, SandboxRequest
from choruspro.services import follow_up
from choruspro.services import invoices as invoice_services
from choruspro.services.sending_recovery import invoices_sending_recover
from tests.integration.choruspro.test_client import COMMUNE, chorus_live  # noqa: F401 - fixture
from tests.integration.choruspro.test_services import (  # noqa: F401 - fixture
    configured,
    force,
    public_debt,
    send_and_run,
)
from tests.integration.staff.choruspro.test_views import agent, roles  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("status", "words", "badge"),
    [
        ("A_RECYCLER", "utilisez l'action « Recycler »", "attention"),
        ("SUSPENDUE", "utilisez l'action « Compléter »", "attention"),
        ("COMPLETEE", "Rien à faire", "running"),
    ],
)
def test_waiting_statuses_tell_staff_what_to_do_and_polling_goes_on(configured, agent, status, words, badge):  # noqa: F811
    debt, _ = public_debt(siret=COMMUNE)
    [invoice] = send_and_run(debt)
    if status == "COMPLETEE":
        force(invoice, "SUSPENDUE", "Joindre le bon de commande signé.")
    force(invoice, status, "Service destinataire : INTENDANCE." if status == "A_RECYCLER" else "")
    follow_up.invoices_poll()
    invoice.refresh_from_db()
    assert invoice.chorus_status == status and not invoice.final and invoice.badge == badge
    assert words in invoice.staff_action
    page = agent.get(f"/gestion/chorus-pro/dettes/{debt.pk}/").content.decode()
    assert f'data-staff-action="{status}"' in page
    if status == "A_RECYCLER":
        assert "Commentaire de l'organisme : Service destinataire : INTENDANCE." in page
    # Still followed: the next poll asks Chorus Pro again, and the invoice moves on.
    before = SandboxRequest.objects.filter(path__endswith="/consulter/historique").count()
    assert follow_up.invoices_poll().polled == 1
    assert SandboxRequest.objects.filter(path__endswith="/consulter/historique").count() == before + 1
    force(invoice, "MISE_EN_PAIEMENT")
    follow_up.invoices_poll()
    invoice.refresh_from_db()
    assert invoice.final and invoice.staff_action == ""


def _left_sending(debt, *, expired: bool, attempts: int = 1) -> ChorusInvoice:
    """An invoice as a worker that died in the middle of invoice_submit leaves it."""
    batch = invoice_services.invoices_send(requests=[invoice_services.SendRequest(debt)], enqueue=False)
    invoice = batch.invoices.get()
    lease_end = timezone.now() + (-datetime.timedelta(seconds=1) if expired else SEND_LEASE)
    ChorusInvoice.objects.filter(pk=invoice.pk).update(
        state=ChorusInvoice.State.SENDING, sending_until=lease_end, send_attempts=attempts
    )
    return invoice


def test_submit_takes_a_lease_and_releases_it(configured):  # noqa: F811 - the fixture imported above
    debt, _ = public_debt(siret=COMMUNE)
    [invoice] = send_and_run(debt)
    assert (invoice.state, invoice.send_attempts, invoice.sending_until) == ("submitted", 1, None)


def test_a_sending_within_its_lease_is_left_alone(configured):  # noqa: F811 - the fixture imported above
    debt, _ = public_debt(siret=COMMUNE)
    invoice = _left_sending(debt, expired=False)
    assert invoices_sending_recover().retried == []
    invoice.refresh_from_db()
    assert invoice.state == "sending"


def test_an_interrupted_sending_is_retried_once_then_shown_to_staff(configured, agent):  # noqa: F811
    debt, _ = public_debt(siret=COMMUNE)
    invoice = _left_sending(debt, expired=True)
    report = follow_up.invoices_poll()  # the periodic run takes it back
    assert (report.sendings_retried, report.sendings_failed) == (1, 0)
    invoice.refresh_from_db()
    assert invoice.state == "queued"
    assert DBTaskResult.objects.filter(
        task_path__endswith="invoice_submit_task", args_kwargs__args=[invoice.pk]
    ).exists()
    # The retry's worker dies too: the second attempt is not retried, staff are told.
    ChorusInvoice.objects.filter(pk=invoice.pk).update(
        state=ChorusInvoice.State.SENDING, sending_until=timezone.now() - datetime.timedelta(seconds=1), send_attempts=2
    )
    report = follow_up.invoices_poll()
    assert (report.sendings_retried, report.sendings_failed) == (0, 1)
    invoice.refresh_from_db()
    assert (invoice.state, invoice.error, invoice.correctable) == ("failed", SEND_INTERRUPTED, True)
    assert not SandboxInvoice.objects.exists()  # nothing reached Chorus Pro in this story
    page = agent.get(f"/gestion/chorus-pro/dettes/{debt.pk}/").content.decode()
    assert "L&#x27;envoi a été interrompu deux fois" in page and "Corriger et renvoyer" in page


def test_the_retried_sending_goes_through(configured):  # noqa: F811 - the fixture imported above
    debt, _ = public_debt(siret=COMMUNE)
    invoice = _left_sending(debt, expired=True)
    invoices_sending_recover()
    invoice = invoice_services.invoice_submit(invoice_id=invoice.pk)
    assert (invoice.state, invoice.send_attempts) == ("submitted", 2)
    assert SandboxInvoice.objects.count() == 1
