"""Chorus Pro services against the sandbox (real HTTP): connection test, public bodies, sending
(PDF, fields, rules enforced before sending, one failure does not stop the others), polling."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from accounts.selectors import debt_status
from choruspro.models import ChorusAccount, ChorusInvoice, ChorusStatusEvent, PublicBody
from choruspro.sandbox import chorus_side
from choruspro.sandbox.models import (
    SandboxApplication,
    SandboxInvoice,
    SandboxRequest,
    SandboxStructure,
    SandboxSwitch,
    SandboxTechnicalUser,
)
from choruspro.sandbox.seed import SUPPLIER_SIRET, environment_seed
from choruspro.selectors import chorus_settings_get
from choruspro.services import connection, follow_up
from choruspro.services import invoices as invoice_services
from choruspro.services import public_bodies as public_body_services
from debts.models import Debt, DebtorReference
from debts.services.imports import debts_import, import_batch_create
from tests import paths
from tests.factories import DebtFactory, DebtorReferenceFactory, TipiClientFactory
from tests.integration.choruspro.test_client import COLLEGE, COMMUNE, HOSPITAL, chorus_live  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)
DATA = paths.DATA / "choruspro"


@pytest.fixture
def configured(chorus_live):  # noqa: F811 - the fixture imported above
    config = chorus_settings_get()
    config.supplier_siret = SUPPLIER_SIRET
    config.supplier_name = "COMMUNE DE DÉMO"
    config.supplier_address = "1 place de la Mairie\n99000 DÉMO"
    config.iban = "FR76 3000 1000 6400 0000 0000 012"
    config.save()
    return config


def public_debt(siret=COLLEGE, amount=184_250, lookup=True, **debt_fields):
    client = TipiClientFactory()
    debtor = DebtorReferenceFactory(client=client)
    debt = DebtFactory(
        client=client,
        debtor=debtor,
        debtor_ref=debtor.reference,
        amount_cents=amount,
        label="Restauration scolaire – mars",
        **debt_fields,
    )
    body = public_body_services.public_body_mark(debtor=debtor, siret=siret, lookup=lookup)
    return debt, body


def send_and_run(debt, service_code="", engagement=""):
    batch = invoice_services.invoices_send(requests=[invoice_services.SendRequest(debt, service_code, engagement)])
    for invoice in batch.invoices.all():
        invoice_services.invoice_submit(invoice_id=invoice.pk)
    return ChorusInvoice.objects.filter(batch=batch).order_by("pk")


def force(invoice, status="", comment=""):
    chorus_side.invoice_force(invoice=SandboxInvoice.objects.get(pk=invoice.chorus_id), status=status, comment=comment)


# --- Connection test ---------------------------------------------------------------------


def test_connection_test_succeeds_and_fetches_the_supplier_identifiers(configured):
    report = connection.connection_test()
    assert report.ok, report.steps
    assert [s.label for s in report.steps][:2] == [
        "Jeton d'accès PISTE (OAuth2)",
        "Disponibilité de Chorus Pro (health-check)",
    ]
    account = ChorusAccount.objects.get(environment="qualification")
    supplier = SandboxStructure.objects.get(environment="qualification", siret=SUPPLIER_SIRET)
    assert (account.supplier_id, account.bank_details_id, account.supplier_service_id) == (supplier.cpp_id, 7, 1)
    assert account.last_test_ok is True


@pytest.mark.parametrize(
    ("breakage", "failed_step", "words"),
    [
        ({"secret": "wrong"}, "Jeton d'accès PISTE (OAuth2)", "CHORUS_QUALIFICATION_CLIENT_SECRET"),
        ({"password": "wrong"}, "Disponibilité de Chorus Pro (health-check)", "Erreur 401 : problème de paramétrage"),
        ({"expired": True}, "Disponibilité de Chorus Pro (health-check)", "CHORUS_QUALIFICATION_PASSWORD"),
        ({"transverses": False}, "Disponibilité de Chorus Pro (health-check)", "Erreur 403 : problème de paramétrage"),
        (
            {"maintenance": True},
            "Disponibilité de Chorus Pro (health-check)",
            "Erreur 500 : le portail Chorus Pro est en maintenance",
        ),
        (
            {"siret": "21880383100013"},
            "Droits du compte technique",
            "n'est pas celui des structures du compte technique",
        ),
        ({"missing": True}, "Jeton d'accès PISTE (OAuth2)", "CHORUS_QUALIFICATION_LOGIN"),
    ],
)
def test_connection_test_explains_each_failure_in_the_guides_words(configured, settings, breakage, failed_step, words):
    environment_seed("qualification")
    credentials = settings.CHORUS_CREDENTIALS["qualification"]
    if "secret" in breakage:
        settings.CHORUS_CREDENTIALS = {
            **settings.CHORUS_CREDENTIALS,
            "qualification": {**credentials, "client_secret": "x"},
        }
    if "password" in breakage:
        settings.CHORUS_CREDENTIALS = {**settings.CHORUS_CREDENTIALS, "qualification": {**credentials, "password": "x"}}
    if "missing" in breakage:
        settings.CHORUS_CREDENTIALS = {**settings.CHORUS_CREDENTIALS, "qualification": {**credentials, "login": ""}}
    if "expired" in breakage:
        SandboxTechnicalUser.objects.update(password_expires_on=timezone.localdate() - datetime.timedelta(days=2))
    if "transverses" in breakage:
        SandboxApplication.objects.update(api_transverses=False)
    if "maintenance" in breakage:
        SandboxSwitch.objects.update(maintenance=True)
    if "siret" in breakage:
        configured.supplier_siret = breakage["siret"]
        configured.save()
    report = connection.connection_test()
    assert not report.ok
    assert report.steps[-1].label == failed_step
    assert words in report.steps[-1].detail
    account = ChorusAccount.objects.get(environment="qualification")
    assert account.last_test_ok is False and account.last_test_steps[-1]["detail"] == report.steps[-1].detail
    for secret in ("secret-qualif-demo", "Qualif-Demo-2026!"):
        assert all(secret not in step.detail for step in report.steps)


def test_renewal_warnings_a_few_weeks_ahead(settings):
    settings.CHORUS_RENEWAL_WARNING_DAYS = 21
    today = datetime.date(2026, 3, 1)
    ChorusAccount.objects.create(
        environment="qualification",
        password_expires_on=datetime.date(2026, 3, 20),
        secret_renewed_on=datetime.date(2025, 11, 1),
    )
    ChorusAccount.objects.create(
        environment="production",
        password_expires_on=datetime.date(2026, 9, 1),
        secret_renewed_on=datetime.date(2026, 2, 1),
    )
    warnings = connection.renewal_warnings(today=today)
    assert len(warnings) == 2
    assert "mot de passe du compte technique (qualification) expire le 20/03/2026" in warnings[0]
    assert "CHORUS_QUALIFICATION_PASSWORD" in warnings[0]
    assert "client secret PISTE (qualification) est à renouveler le 30/01/2026" in warnings[1]
    assert connection.renewal_warnings(today=datetime.date(2026, 2, 1)) == [warnings[1]]


# --- Public bodies ------------------------------------------------------------------------


def test_marking_a_public_body_looks_its_structure_and_rules_up(configured):
    _, body = public_debt(siret="194 200 127 00018")
    assert body.siret == COLLEGE
    assert body.structure_known("qualification")
    assert body.structure_name == "COLLÈGE JEAN MOULIN"
    assert (body.service_code_required, body.engagement_required) == (True, False)
    assert [s["code"] for s in body.services] == ["INTENDANCE", "VIE-SCOLAIRE"]  # the active ones


def test_unknown_siret_is_explained(configured):
    _, body = public_debt(siret="21990002400015")
    assert not body.structure_known("qualification")
    assert "Aucune structure active n'a le SIRET 21990002400015" in body.structure_error


def test_a_public_bodys_debt_is_not_offered_for_card_payment():
    debt = DebtFactory()
    assert debt_status(debt, timezone.localdate()).payable
    PublicBody.objects.create(
        debtor=DebtorReference.objects.create(client=debt.client, reference=debt.debtor_ref), siret=COLLEGE
    )
    Debt.objects.filter(pk=debt.pk).update(debtor=DebtorReference.objects.get(reference=debt.debtor_ref))
    debt.refresh_from_db()
    status = debt_status(debt, timezone.localdate())
    assert (status.code, status.payable) == ("public_body", False)
    assert "Chorus Pro" in status.label


@pytest.mark.parametrize(
    ("fmt", "name", "protocol"),
    [("indigo", "indigo-organismes-publics.txt", "indigo"), ("pesv2", "pesv2-organismes-publics.xml", "pesv2")],
)
def test_public_bodies_designated_by_the_imported_files(settings, tmp_path, fmt, name, protocol):
    settings.IMPORTS_DIR = tmp_path
    client = TipiClientFactory(protocol=protocol)
    batch = debts_import(batch=import_batch_create(client=client, fmt=fmt, path=DATA / name, filename=name))
    assert batch.imported == 3
    assert public_body_services.public_bodies_detect() == (1 if fmt == "indigo" else 2)
    assert public_body_services.public_bodies_detect() == 0  # each batch once
    bodies = {b.debtor.reference: b for b in PublicBody.objects.select_related("debtor")}
    assert bodies["PUB0001"].source == "import"
    if fmt == "pesv2":
        assert bodies["PUB0001"].siret == COLLEGE
        assert "CatTiers 28" in bodies["PUB0001"].reason
        assert bodies["PUB0003"].siret == ""  # its IdTiers is not a valid SIRET: staff complete it
    else:
        assert "CODEDEBIT 08" in bodies["PUB0001"].reason
    assert "DEB0002" not in bodies


# --- Sending ---------------------------------------------------------------------------------


def test_a_mandatory_service_code_is_asked_before_anything_is_sent(configured):
    debt, _ = public_debt()
    with pytest.raises(invoice_services.SendRefused) as refused:
        invoice_services.invoices_send(requests=[invoice_services.SendRequest(debt)])
    assert "exige un code service" in refused.value.by_debt[debt.pk]["service_code"][0]
    with pytest.raises(invoice_services.SendRefused) as refused:
        invoice_services.invoices_send(requests=[invoice_services.SendRequest(debt, "CANTINE")])
    assert (
        "Le code service CANTINE n'existe pas chez COLLÈGE JEAN MOULIN"
        in refused.value.by_debt[debt.pk]["service_code"][0]
    )
    hospital_debt, _ = public_debt(siret=HOSPITAL)
    with pytest.raises(invoice_services.SendRefused) as refused:
        invoice_services.invoices_send(requests=[invoice_services.SendRequest(hospital_debt)])
    assert "exige un numéro d'engagement" in refused.value.by_debt[hospital_debt.pk]["engagement"][0]
    assert not ChorusInvoice.objects.exists()
    assert not SandboxRequest.objects.filter(path__contains="/factures/").exists()


def test_settings_must_be_filled_before_sending(chorus_live):  # noqa: F811
    debt, _ = public_debt(siret=COMMUNE)
    with pytest.raises(invoice_services.SendRefused) as refused:
        invoice_services.invoices_send(requests=[invoice_services.SendRequest(debt)])
    assert "SIRET et nom de la collectivité" in refused.value.general[0]


def test_sending_enqueues_one_task_per_invoice(configured):
    debt, _ = public_debt(siret=COMMUNE)
    other, _ = public_debt(siret=COMMUNE)
    batch = invoice_services.invoices_send(
        requests=[invoice_services.SendRequest(debt), invoice_services.SendRequest(other)]
    )
    tasks = DBTaskResult.objects.filter(task_path="choruspro.tasks.invoice_submit_task")
    assert sorted(t.args_kwargs["args"][0] for t in tasks) == sorted(batch.invoices.values_list("pk", flat=True))
    assert set(batch.invoices.values_list("state", flat=True)) == {"queued"}


def test_the_invoice_is_generated_deposited_and_submitted_with_its_fields(configured):
    debt, body = public_debt()
    [invoice] = send_and_run(debt, "INTENDANCE", "BC-77")
    assert invoice.state == "submitted", invoice.error
    assert invoice.chorus_status == "DEPOSEE" and invoice.number.startswith(f"CPP{timezone.localdate():%Y}-")
    received = SandboxInvoice.objects.get(pk=invoice.chorus_id)
    payload = received.payload
    assert payload["numeroFactureSaisi"] == invoice.number
    assert payload["destinataire"] == {"codeDestinataire": COLLEGE, "codeServiceExecutant": "INTENDANCE"}
    assert payload["references"]["numeroBonCommande"] == "BC-77"
    assert payload["fournisseur"]["idFournisseur"] == received.supplier.cpp_id
    assert payload["fournisseur"]["codeCoordonneesBancairesFournisseur"] == 7
    assert payload["montantTotal"]["montantAPayer"] == "1842.50"
    assert payload["lignePoste"][0]["lignePosteReference"] == debt.refdet
    # The PDF: the same one Chorus Pro received, real, with the invoice's mentions.
    pdf = bytes(invoice.pdf)
    assert received.attachment.size == len(pdf) and received.attachment.pages == 1
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for expected in (invoice.number, COLLEGE, SUPPLIER_SIRET, "842,50", "INTENDANCE", "BC-77", debt.refdet):
        assert expected in text
    body.refresh_from_db()
    assert (body.default_service_code, body.default_engagement) == ("INTENDANCE", "BC-77")
    # Sent once: a second sending of the same debt is refused before anything leaves.
    with pytest.raises(invoice_services.SendRefused):
        invoice_services.invoices_send(requests=[invoice_services.SendRequest(debt, "INTENDANCE")])


def test_one_failing_invoice_does_not_stop_the_others(configured):
    good, _ = public_debt(siret=COMMUNE)
    bad, _ = public_debt(siret="22420001400013")
    # The recipient closed its structure after it was looked up: Chorus Pro refuses this one only.
    SandboxStructure.objects.filter(siret="22420001400013").update(active=False)
    batch = invoice_services.invoices_send(
        requests=[
            invoice_services.SendRequest(good),
            invoice_services.SendRequest(bad, "DGA-EDUCATION", "2026-LOIRE-0042"),
        ]
    )
    invoices = {i.debt_id: i for i in batch.invoices.all()}
    for invoice in reversed(list(invoices.values())):
        invoice_services.invoice_submit(invoice_id=invoice.pk)
    invoices = {i.debt_id: i for i in batch.invoices.all()}
    assert invoices[good.pk].state == "submitted"
    assert invoices[bad.pk].state == "failed"
    assert "n'existe pas ou n'est pas actif" in invoices[bad.pk].error
    assert invoices[bad.pk].correctable


def test_a_submission_is_run_once(configured):
    debt, _ = public_debt(siret=COMMUNE)
    [invoice] = send_and_run(debt)
    invoice_services.invoice_submit(invoice_id=invoice.pk)
    assert SandboxInvoice.objects.count() == 1
    assert SandboxRequest.objects.filter(path__endswith="/soumettre").count() == 1


# --- Following -------------------------------------------------------------------------------


def test_statuses_are_recorded_once_and_final_states_stop_polling(configured):
    debt, _ = public_debt(siret=COMMUNE)
    other, _ = public_debt(siret=COMMUNE)
    [invoice] = send_and_run(debt)
    [other_invoice] = send_and_run(other)
    report = follow_up.invoices_poll()
    assert (report.polled, report.new_statuses, report.errors) == (2, 2, [])
    assert follow_up.invoices_poll().new_statuses == 0  # nothing new: nothing recorded twice
    for status in ("", "", "SERVICE_FAIT", "MANDATEE"):
        force(invoice, status)
    assert follow_up.invoices_poll().new_statuses == 4
    invoice.refresh_from_db()
    assert invoice.chorus_status == "MANDATEE" and not invoice.final  # MISE_EN_PAIEMENT comes after
    force(invoice)
    follow_up.invoices_poll()
    invoice.refresh_from_db()
    assert (invoice.chorus_status, invoice.final, invoice.status_label) == (
        "MISE_EN_PAIEMENT",
        True,
        "Mise en paiement",
    )
    assert invoice.payment_at is not None
    codes = list(invoice.events.values_list("status", flat=True))
    assert codes == [
        "DEPOSEE",
        "EN_COURS_ACHEMINEMENT",
        "MISE_A_DISPOSITION",
        "SERVICE_FAIT",
        "MANDATEE",
        "MISE_EN_PAIEMENT",
    ]
    before = SandboxRequest.objects.filter(path__endswith="/consulter/historique").count()
    report = follow_up.invoices_poll()
    assert report.polled == 1  # only the other invoice: a final one is not asked again
    assert SandboxRequest.objects.filter(path__endswith="/consulter/historique").count() == before + 1
    assert ChorusStatusEvent.objects.filter(invoice=other_invoice).count() == 1


def test_a_rejection_shows_its_reason_and_is_corrected_as_a_new_submission(configured):
    debt, _ = public_debt()
    [invoice] = send_and_run(debt, "VIE-SCOLAIRE")
    force(invoice, "REJETEE", "Le code service VIE-SCOLAIRE ne correspond pas au service acheteur.")
    follow_up.invoices_poll()
    invoice.refresh_from_db()
    assert invoice.rejected and invoice.final and invoice.correctable
    assert invoice.rejection_reason == "Le code service VIE-SCOLAIRE ne correspond pas au service acheteur."
    new = invoice_services.invoice_resend(invoice=invoice, service_code="INTENDANCE", engagement="")
    assert (new.attempt, new.service_code, new.state) == (2, "INTENDANCE", "queued")
    assert new.number != invoice.number
    invoice_services.invoice_submit(invoice_id=new.pk)
    new.refresh_from_db()
    assert new.state == "submitted"
    assert SandboxInvoice.objects.get(pk=new.chorus_id).service_code == "INTENDANCE"
    with pytest.raises(connection.ChorusRefused):
        invoice_services.invoice_resend(invoice=new, service_code="INTENDANCE", engagement="")


def test_a_poll_error_is_recorded_and_the_others_go_on(configured):
    first, _ = public_debt(siret=COMMUNE)
    second, _ = public_debt(siret=COMMUNE)
    [broken] = send_and_run(first)
    [fine] = send_and_run(second)
    ChorusInvoice.objects.filter(pk=broken.pk).update(chorus_id=999_999)
    report = follow_up.invoices_poll()
    assert report.polled == 1 and len(report.errors) == 1
    broken.refresh_from_db()
    assert "La facture 999999 n'existe pas" in broken.poll_error
    assert ChorusStatusEvent.objects.filter(invoice=fine).exists()


def test_follow_up_is_a_deferred_task_when_enabled(configured, settings):
    settings.CHORUS_FOLLOW_UP_SECONDS = 30
    debt, _ = public_debt(siret=COMMUNE)
    [invoice] = send_and_run(debt)
    task = DBTaskResult.objects.get(task_path="choruspro.tasks.invoice_follow_task")
    assert task.args_kwargs["args"] == [invoice.pk]
    assert task.run_after > timezone.now() + datetime.timedelta(seconds=20)
    # The follow-up itself polls and schedules the next one, until the invoice is final.
    assert follow_up.invoice_follow(invoice_id=invoice.pk) == "DEPOSEE"
    assert DBTaskResult.objects.filter(task_path="choruspro.tasks.invoice_follow_task").count() == 2
    force(invoice, "MISE_EN_PAIEMENT")
    assert follow_up.invoice_follow(invoice_id=invoice.pk) == "MISE_EN_PAIEMENT"
    assert DBTaskResult.objects.filter(task_path="choruspro.tasks.invoice_follow_task").count() == 2


# --- Commands ----------------------------------------------------------------------------------


def test_commands_test_connection_send_and_poll(configured, capsys):
    call_command("choruspro", "test-connection")
    assert "Connexion avec Chorus Pro établie." in capsys.readouterr().out
    debt, _ = public_debt()
    with pytest.raises(CommandError, match="Rien n'a été envoyé"):
        call_command("choruspro", "send", "--debt", debt.refdet)
    assert "exige un code service" in capsys.readouterr().err
    call_command("choruspro", "send", "--debt", debt.refdet, "--service-code", "INTENDANCE")
    invoice = ChorusInvoice.objects.get()
    assert f"facture {invoice.number} déposée" in capsys.readouterr().out
    call_command("choruspro", "poll")
    assert "Factures consultées : 1, nouveaux statuts : 1" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Aucune dette"):
        call_command("choruspro", "send", "--debt", "NOPE")


def test_command_test_connection_fails_loudly(configured, settings):
    environment_seed("qualification")
    SandboxSwitch.objects.update(maintenance=True)
    with pytest.raises(CommandError, match="pas établie"):
        call_command("choruspro", "test-connection")


def test_a_structure_with_more_services_than_one_page_takes_any_service_code(configured):
    """rechercher/services answers 10 services and the total: the portal does not refuse a code it could not see."""
    environment_seed("qualification")
    services_list = [
        {"id": 100 + n, "code": f"SERVICE-{n:02d}", "label": f"Service {n}", "active": True} for n in range(12)
    ]
    SandboxStructure.objects.filter(environment="qualification", siret=COMMUNE).update(
        service_code_required=True, services=services_list
    )
    debt, body = public_debt(siret=COMMUNE)
    assert (len(body.services), body.services_complete) == (10, False)
    [invoice] = send_and_run(debt, "SERVICE-11")
    assert invoice.state == "submitted", invoice.error
    complete_debt, college = public_debt(siret=COLLEGE)
    assert college.services_complete
    with pytest.raises(invoice_services.SendRefused):
        invoice_services.invoices_send(requests=[invoice_services.SendRequest(complete_debt, "SERVICE-11")])


def test_a_public_body_debt_cannot_be_paid_by_card_even_by_a_forged_post(client):
    """Hidden from the account list, and refused by the payment service itself (M and A)."""
    import html as html_lib

    from choruspro.models import PublicBody
    from debts.models import ReferenceLink
    from payments.models import Transaction
    from tests.factories import DebtFactory, DebtorReferenceFactory, UserFactory

    debtor = DebtorReferenceFactory()
    PublicBody.objects.create(debtor=debtor, siret="21330063500017")
    debt = DebtFactory(client=debtor.client, debtor=debtor, amount_cents=3808)
    user = UserFactory()
    ReferenceLink.objects.create(user=user, debtor=debtor)
    client.force_login(user)
    response = client.post(f"/compte/dettes/{debt.pk}/payer/", {"email": user.email})
    assert response.status_code == 409
    assert "ne peut actuellement pas être payée par Internet" in html_lib.unescape(response.content.decode())
    parts = debt.ref_parts
    form = {
        "exercice": parts["codexer"],
        "numero": parts["numtitre"],
        "ordre": parts["numordre"],
        "montant": "38,08",
        "email": "a@b.fr",
        "email_confirm": "a@b.fr",
    }
    response = client.post(f"/payer/{debt.client.numcli}/", form)
    assert "ne peut actuellement pas être payée par Internet" in html_lib.unescape(response.content.decode())
    assert not Transaction.objects.exists()
