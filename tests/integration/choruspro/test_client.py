"""The Chorus Pro client against the sandbox through real HTTP (the live test server).

Token cached and renewed, every error path of the set-up guides (401, 403, 500, refusals with
their message), retries on 5xx and network errors only where they are harmless.
"""

import base64
import datetime
import socket
import threading
from decimal import Decimal

import pytest
from django.utils import timezone

from choruspro.client import MAX_PDF_BYTES, ChorusClient, ChorusError, Credentials, Endpoints, token_cache_clear
from choruspro.invoice_pdf import InvoiceDocument, InvoiceLine, invoice_pdf
from choruspro.sandbox.models import (
    SandboxApplication,
    SandboxInvoice,
    SandboxInvoiceStatus,
    SandboxRequest,
    SandboxStructure,
    SandboxSwitch,
    SandboxTechnicalUser,
    SandboxToken,
)
from choruspro.sandbox.seed import CREDENTIALS, SUPPLIER_SIRET, environment_seed

pytestmark = pytest.mark.django_db(transaction=True)

COLLEGE = "19420012700018"  # service code required
HOSPITAL = "26250001000018"  # engagement number required
COMMUNE = "21880383100013"  # no rule


@pytest.fixture
def chorus_live(live_server, settings):
    """The portal's Chorus Pro settings pointing at the sandbox of the live server, no back-off wait."""
    root = f"{live_server.url}/chorus-sandbox"
    settings.CHORUS_URLS = {
        env: {"oauth": f"{root}/{env}/oauth", "api": f"{root}/{env}/api"} for env in ("qualification", "production")
    }
    settings.CHORUS_CREDENTIALS = {
        env: dict(zip(("client_id", "client_secret", "login", "password"), CREDENTIALS[env][1:]))
        for env in ("qualification", "production")
    }
    settings.CHORUS_HTTP_BACKOFF = 0
    settings.CHORUS_HTTP_RETRIES = 2
    settings.CHORUS_FOLLOW_UP_SECONDS = 0
    settings.CHORUS_SANDBOX_STEP_SECONDS = 3600  # statuses move only when a test forces them
    token_cache_clear()
    yield live_server.url
    token_cache_clear()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_client(
    live_url: str, environment: str = "qualification", clock=None, retries: int = 2, **overrides
) -> ChorusClient:
    _, client_id, secret, login, password = CREDENTIALS[environment]
    values = {"client_id": client_id, "client_secret": secret, "login": login, "password": password, **overrides}
    root = f"{live_url}/chorus-sandbox/{environment}"
    return ChorusClient(
        endpoints=Endpoints(oauth=f"{root}/oauth", api=f"{root}/api"),
        credentials=Credentials(**values),
        timeout=(5, 30),
        retries=retries,
        backoff=0,
        clock=clock or Clock(),
    )


def calls(path_end: str, status: int | None = None) -> int:
    rows = SandboxRequest.objects.filter(path__endswith=path_end)
    return (rows.filter(status=status) if status else rows).count()


def a_pdf(number: str = "CPP2026-000001") -> bytes:
    return invoice_pdf(
        InvoiceDocument(
            number=number,
            date=datetime.date(2026, 3, 2),
            due_date=datetime.date(2026, 4, 1),
            supplier_name="COMMUNE DE DÉMO",
            supplier_address="1 place de la Mairie\n99000 DÉMO",
            supplier_siret=SUPPLIER_SIRET,
            customer_name="COLLÈGE JEAN MOULIN",
            customer_address="2 rue des Écoles\n42000 SAINT-ÉTIENNE",
            customer_siret=COLLEGE,
            lines=(InvoiceLine("Restauration scolaire – mars", "202600000123000001", 1, 184_250),),
        )
    )


def submit_body(
    client: ChorusClient,
    attachment_id: int,
    *,
    number="CPP2026-000001",
    siret=COLLEGE,
    service="INTENDANCE",
    engagement="",
    amount=Decimal("1842.50"),
) -> dict:
    supplier_id = client.supplier_structures()["listeStructures"][0]["idStructureCPP"]
    recipient = {"codeDestinataire": siret}
    if service:
        recipient["codeServiceExecutant"] = service
    references = {"deviseFacture": "EUR", "typeFacture": "FACTURE", "typeTva": "SANS_TVA", "modePaiement": "VIREMENT"}
    if engagement:
        references["numeroBonCommande"] = engagement
    return {
        "modeDepot": "DEPOT_PDF_API",
        "numeroFactureSaisi": number,
        "dateFacture": "2026-03-02",
        "destinataire": recipient,
        "fournisseur": {"idFournisseur": supplier_id, "codeCoordonneesBancairesFournisseur": 7},
        "cadreDeFacturation": {"codeCadreFacturation": "A1_FACTURE_FOURNISSEUR"},
        "references": references,
        "lignePoste": [
            {
                "lignePosteNumero": 1,
                "lignePosteReference": "R1",
                "lignePosteDenomination": "Repas",
                "lignePosteQuantite": Decimal(1),
                "lignePosteUnite": "lot",
                "lignePosteMontantUnitaireHT": amount,
            }
        ],
        "ligneTva": [
            {
                "ligneTvaMontantBaseHtParTaux": amount,
                "ligneTvaMontantTvaParTaux": Decimal("0.00"),
                "ligneTvaTauxManuel": Decimal(0),
            }
        ],
        "montantTotal": {
            "montantHtTotal": amount,
            "montantTVA": Decimal("0.00"),
            "montantTtcTotal": amount,
            "montantAPayer": amount,
        },
        "pieceJointePrincipale": [
            {"pieceJointePrincipaleDesignation": "Facture", "pieceJointePrincipaleId": attachment_id}
        ],
    }


def error_of(call) -> ChorusError:
    with pytest.raises(ChorusError) as caught:
        call()
    return caught.value


# --- Token ---------------------------------------------------------------------------------


def test_token_is_cached_until_shortly_before_it_expires_then_renewed(chorus_live):
    clock = Clock()
    client = make_client(chorus_live, clock=clock)
    first = client.token()
    client.health_check()
    client.health_check()
    assert client.token() == first
    assert calls("/api/oauth/token") == 1
    clock.now += 3600 - 61  # a minute and a second before expiry: still good
    assert client.token() == first
    clock.now += 2  # within the last minute: renewed before it expires
    second = client.token()
    assert second != first
    assert calls("/api/oauth/token") == 2
    # Another client of the same process and credentials shares the cache.
    assert make_client(chorus_live, clock=clock).token() == second


def test_a_token_the_server_expired_early_is_renewed_once_and_the_call_goes_through(chorus_live):
    client = make_client(chorus_live)
    client.health_check()
    SandboxToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.health_check()["codeRetour"] == 0
    assert calls("/health-check", 401) == 1
    assert calls("/health-check", 200) == 2
    assert calls("/api/oauth/token") == 2


def test_bad_client_secret_is_a_credentials_error_with_pistes_words(chorus_live):
    error = error_of(make_client(chorus_live, client_secret="not-the-secret").token)
    assert error.kind == "credentials"
    assert error.status == 401
    assert error.code == "invalid_client"
    assert "not-the-secret" not in error.message
    assert calls("/api/oauth/token", 401) == 1  # a 4xx is never retried


def test_missing_credentials_never_reach_the_network(chorus_live):
    error = error_of(make_client(chorus_live, password="").health_check)
    assert error.kind == "config"
    assert "password" in error.message
    assert SandboxRequest.objects.count() == 0


def test_secrets_are_not_in_reprs():
    credentials = Credentials(client_id="id", client_secret="very-secret", login="tech", password="pass-secret")
    assert "very-secret" not in repr(credentials) and "pass-secret" not in repr(credentials)


# --- 401 / 403 / 500 ------------------------------------------------------------------------


def test_wrong_technical_password_is_401(chorus_live):
    error = error_of(make_client(chorus_live, password="wrong").health_check)
    assert (error.kind, error.status) == ("unauthorized", 401)
    assert "mot de passe" in error.message


def test_expired_technical_password_is_401(chorus_live):
    environment_seed("qualification")
    SandboxTechnicalUser.objects.update(password_expires_on=timezone.localdate() - datetime.timedelta(days=1))
    error = error_of(make_client(chorus_live).health_check)
    assert (error.kind, error.status) == ("unauthorized", 401)
    assert "expiré" in error.message


def test_qualification_credentials_are_refused_by_production(chorus_live):
    _, client_id, secret, _, _ = CREDENTIALS["qualification"]
    client = make_client(chorus_live, environment="production", client_id=client_id, client_secret=secret)
    assert error_of(client.token).kind == "credentials"


def test_api_not_subscribed_is_403(chorus_live):
    environment_seed("qualification")
    SandboxApplication.objects.filter(environment="qualification").update(api_factures=False)
    client = make_client(chorus_live)
    assert client.health_check()["codeRetour"] == 0  # Transverses is subscribed
    error = error_of(lambda: client.invoice_history(invoice_id=1))
    assert (error.kind, error.status) == ("forbidden", 403)
    assert "factures" in error.message


def test_connection_not_active_in_chorus_pro_is_403(chorus_live):
    environment_seed("qualification")
    SandboxApplication.objects.filter(environment="qualification").update(connection_active=False)
    error = error_of(make_client(chorus_live).health_check)
    assert (error.kind, error.status) == ("forbidden", 403)
    assert "raccordement" in error.message.lower()


def test_maintenance_is_500_retried_with_backoff_on_harmless_calls_only(chorus_live):
    client = make_client(chorus_live, retries=2)
    client.token()
    SandboxSwitch.objects.filter(environment="qualification").update(maintenance=True)
    error = error_of(client.health_check)
    assert (error.kind, error.status) == ("maintenance", 500)
    assert calls("/health-check", 500) == 3  # one try and two retries
    assert calls("/api/oauth/token") == 1  # the token endpoint is PISTE's, not in maintenance
    error = error_of(lambda: client.pdf_deposit(pdf=a_pdf(), filename="f.pdf"))
    assert error.kind == "maintenance"
    assert calls("/deposer/pdf", 500) == 3
    # soumettre may have arrived: never sent twice.
    error = error_of(lambda: client.invoice_submit({"numeroFactureSaisi": "X"}))
    assert error.kind == "maintenance"
    assert calls("/soumettre", 500) == 1


class ClosingServer:
    """Accepts connections and closes them at once (a network error after the request left)."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(20)
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def _serve(self) -> None:
        self.socket.settimeout(0.2)
        while self.running:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            conn.recv(65536)
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.socket.close()


def test_network_errors_are_retried_where_harmless_and_not_for_soumettre(chorus_live):
    server = ClosingServer()
    try:
        _, client_id, secret, login, password = CREDENTIALS["qualification"]
        clock = Clock()
        good = make_client(chorus_live, clock=clock)
        good.token()  # a cached token, so that only the API calls go to the closing server
        client = ChorusClient(
            endpoints=Endpoints(oauth=f"{chorus_live}/chorus-sandbox/qualification/oauth", api=server.url),
            credentials=Credentials(client_id, secret, login, password),
            timeout=(2, 5),
            retries=2,
            backoff=0,
            clock=clock,
        )
        error = error_of(client.health_check)
        assert error.kind == "network"
        assert server.connections == 3
        server.connections = 0
        assert error_of(lambda: client.invoice_submit({})).kind == "network"
        assert server.connections == 1
    finally:
        server.close()


def test_a_closed_port_is_a_network_error(chorus_live):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ChorusClient(
        endpoints=Endpoints(oauth=f"http://127.0.0.1:{port}", api=f"http://127.0.0.1:{port}"),
        credentials=Credentials("a", "b", "c", "d"),
        timeout=(1, 1),
        retries=1,
        backoff=0,
    )
    error = error_of(client.token)
    assert error.kind == "network"
    assert "ne répond pas" in error.message


# --- The calls and their checks --------------------------------------------------------------


def test_supplier_identifiers_and_rights(chorus_live):
    client = make_client(chorus_live)
    mine = client.structures_for_user()["listeStructures"]
    assert [s["identifiantStructure"] for s in mine] == [SUPPLIER_SIRET]
    supplier = client.supplier_structures()["listeStructures"][0]
    services = client.services_search(structure_id=supplier["idStructureCPP"])["listeServices"]
    banks = client.bank_details(structure_id=supplier["idStructureCPP"])["listeCoordonneeBancaire"]
    assert services[0]["codeService"] == "FACTURATION"
    assert banks[0]["idCoordonneeBancaire"] == 7


def test_recipient_lookup_by_siret_and_its_rules(chorus_live):
    client = make_client(chorus_live)
    found = client.structure_search(siret=COLLEGE)["listeStructures"]
    assert len(found) == 1
    detail = client.structure_get(structure_id=found[0]["idStructureCPP"])
    assert detail["parametres"]["codeServiceDoitEtreRenseigne"] is True
    assert detail["parametres"]["numeroEJDoitEtreRenseigne"] is False
    assert client.structure_search(siret="21990002400015")["listeStructures"] == []  # inactive
    assert client.structure_search(siret="12345678901234")["listeStructures"] == []


def test_deposit_then_submit_then_history(chorus_live):
    client = make_client(chorus_live)
    attachment = client.pdf_deposit(pdf=a_pdf(), filename="CPP2026-000001.pdf")["pieceJointeId"]
    result = client.invoice_submit(submit_body(client, attachment))
    assert result["statutFacture"] == "DEPOSEE"
    history = client.invoice_history(invoice_id=result["identifiantFactureCPP"])
    assert history["statutCourantCode"] == "DEPOSEE"
    assert [row["histoStatutCode"] for row in history["historiquesDesStatuts"]["histoStatut"]] == ["DEPOSEE"]
    invoice = SandboxInvoice.objects.get()
    assert invoice.total_ttc == Decimal("1842.50")  # exact amounts, no float on the way


def test_base64_with_line_breaks_is_refused(chorus_live):
    client = make_client(chorus_live)
    client.token()
    wrapped = base64.encodebytes(a_pdf()).decode()  # MIME style: a line break every 76 characters
    error = error_of(
        lambda: client._call(
            "POST",
            "/cpro/factures/v1/deposer/pdf",
            {
                "fichierFacture": wrapped,
                "nomFichier": "f.pdf",
                "formatDepot": "PDF_NON_SIGNE",
                "idUtilisateurCourant": 0,
            },
        )
    )
    assert (error.kind, error.status) == ("refused", 400)
    assert "sans retour à la ligne" in error.message
    assert calls("/deposer/pdf", 400) == 1  # a refusal is not retried


def test_what_is_not_a_pdf_is_refused(chorus_live):
    client = make_client(chorus_live)
    assert "PDF valide" in error_of(lambda: client.pdf_deposit(pdf=b"%PDF-1.4 not really", filename="f.pdf")).message
    assert "PDF valide" in error_of(lambda: client.pdf_deposit(pdf=b"<html>invoice</html>", filename="f.pdf")).message


def test_a_pdf_over_10_mb_is_refused_by_the_client_before_sending(chorus_live):
    client = make_client(chorus_live)
    error = error_of(lambda: client.pdf_deposit(pdf=b"%PDF-" + b"0" * MAX_PDF_BYTES, filename="f.pdf"))
    assert error.kind == "refused" and "10 Mo" in error.message
    assert calls("/deposer/pdf") == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"siret": "21990002400015"}, "n'existe pas ou n'est pas actif"),
        ({"service": ""}, "Le code service est obligatoire"),
        ({"service": "CANTINE"}, "Le code service CANTINE n'existe pas dans le referentiel des codes services"),
        ({"service": "ANCIEN-SERVICE"}, "n'existe pas dans le referentiel des codes services"),
        ({"siret": HOSPITAL, "service": ""}, "Le numéro d'engagement est obligatoire"),
    ],
)
def test_submission_checks_of_the_recipient(chorus_live, changes, message):
    client = make_client(chorus_live)
    attachment = client.pdf_deposit(pdf=a_pdf(), filename="f.pdf")["pieceJointeId"]
    error = error_of(lambda: client.invoice_submit(submit_body(client, attachment, **changes)))
    assert (error.kind, error.status) == ("refused", 400)
    assert message in error.message
    assert SandboxInvoice.objects.count() == 0


def test_required_fields_and_amounts_are_checked(chorus_live):
    client = make_client(chorus_live)
    attachment = client.pdf_deposit(pdf=a_pdf(), filename="f.pdf")["pieceJointeId"]
    body = submit_body(client, attachment)
    del body["dateFacture"]
    assert "dateFacture est obligatoire" in error_of(lambda: client.invoice_submit(body)).message
    body = submit_body(client, attachment)
    body["montantTotal"]["montantTtcTotal"] = Decimal("1842.51")
    assert "montant TTC" in error_of(lambda: client.invoice_submit(body)).message
    body = submit_body(client, attachment)
    body["fournisseur"]["idFournisseur"] = 1
    assert "SIRET du fournisseur" in error_of(lambda: client.invoice_submit(body)).message


def test_an_invoice_number_already_used_is_refused_with_the_seeds_message(chorus_live):
    client = make_client(chorus_live)
    attachment = client.pdf_deposit(pdf=a_pdf(), filename="f.pdf")["pieceJointeId"]
    client.invoice_submit(submit_body(client, attachment, number="CPP2026-000042"))
    error = error_of(lambda: client.invoice_submit(submit_body(client, attachment, number="CPP2026-000042")))
    assert (
        error.libelle
        == "Le numero de facture CPP2026-000042 existe deja dans la solution, pour le fournisseur renseigne."
    )
    assert error.libelle in error.message
    assert SandboxInvoice.objects.count() == 1


def test_an_unknown_engagement_number_is_accepted_then_rejected_after_preprocessing(chorus_live):
    client = make_client(chorus_live)
    attachment = client.pdf_deposit(pdf=a_pdf(), filename="f.pdf")["pieceJointeId"]
    result = client.invoice_submit(submit_body(client, attachment, siret=HOSPITAL, service="", engagement="EJ-FAUX"))
    assert result["statutFacture"] == "DEPOSEE"
    invoice = SandboxInvoice.objects.get()
    # Three hours pass (one step an hour here): acheminement, then the rejection, each dated when it was due.
    deposited = timezone.now() - datetime.timedelta(hours=3)
    SandboxInvoiceStatus.objects.filter(invoice=invoice).update(at=deposited)
    SandboxInvoice.objects.filter(pk=invoice.pk).update(next_step_at=deposited + datetime.timedelta(hours=1))
    history = client.invoice_history(invoice_id=invoice.pk)
    assert history["statutCourantCode"] == "REJETEE"
    rows = history["historiquesDesStatuts"]["histoStatut"]
    assert [r["histoStatutCode"] for r in rows] == ["DEPOSEE", "EN_COURS_ACHEMINEMENT", "REJETEE"]
    assert "EJ-FAUX est inconnu" in rows[-1]["histoStatutCommentaire"]


def test_environments_are_separate_worlds(chorus_live):
    qualif, prod = make_client(chorus_live), make_client(chorus_live, environment="production")
    attachment = qualif.pdf_deposit(pdf=a_pdf(), filename="f.pdf")["pieceJointeId"]
    invoice_id = qualif.invoice_submit(submit_body(qualif, attachment))["identifiantFactureCPP"]
    assert (
        qualif.supplier_structures()["listeStructures"][0]["idStructureCPP"]
        != prod.supplier_structures()["listeStructures"][0]["idStructureCPP"]
    )
    assert error_of(lambda: prod.invoice_history(invoice_id=invoice_id)).kind == "refused"
    assert SandboxStructure.objects.filter(siret=COLLEGE).count() == 2


def test_the_test_hook_forces_the_next_status_over_http(chorus_live):
    import requests

    client = make_client(chorus_live)
    attachment = client.pdf_deposit(pdf=a_pdf(), filename="f.pdf")["pieceJointeId"]
    invoice_id = client.invoice_submit(submit_body(client, attachment))["identifiantFactureCPP"]
    hook = f"{chorus_live}/chorus-sandbox/factures/{invoice_id}/statut"
    answer = requests.post(hook, headers={"Accept": "application/json"}, timeout=5)
    assert answer.json() == {"idFacture": invoice_id, "statut": "EN_COURS_ACHEMINEMENT"}
    answer = requests.post(
        hook, data={"statut": "REJETEE", "motif": "Service inconnu"}, headers={"Accept": "application/json"}, timeout=5
    )
    assert answer.json()["statut"] == "REJETEE"
    rows = client.invoice_history(invoice_id=invoice_id)["historiquesDesStatuts"]["histoStatut"]
    assert (rows[-1]["histoStatutCode"], rows[-1]["histoStatutCommentaire"]) == ("REJETEE", "Service inconnu")
    assert requests.post(hook, headers={"Accept": "application/json"}, timeout=5).status_code == 409  # final
