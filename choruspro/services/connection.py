"""Chorus Pro configuration and connection: credentials, the connection test, supplier identifiers, renewal warnings.

No HTTP call is ever made inside a database transaction (the sandbox may be this very
process, and a row lock must never wait on the network).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from choruspro.client import ChorusClient, ChorusError, Credentials, Endpoints
from choruspro.models import (
    ChorusAccount,
    Environment,
)
from choruspro.selectors import chorus_account_get, chorus_settings_get

logger = logging.getLogger(__name__)


SECRET_RENEWAL_DAYS = 90  # PISTE advises renewing the client secret every three months
CREDENTIAL_NAMES = {
    "client_id": "CLIENT_ID",
    "client_secret": "CLIENT_SECRET",
    "login": "LOGIN",
    "password": "PASSWORD",
}


class ChorusRefused(Exception):
    """A Chorus Pro action the portal refuses before anything leaves (French message)."""


# --- Configuration and connection ------------------------------------------------------


def environment_label(environment: str) -> str:
    return Environment(environment).label


def variable_name(environment: str, credential: str) -> str:
    return f"CHORUS_{environment.upper()}_{CREDENTIAL_NAMES[credential]}"


def credentials_status(environment: str) -> list[tuple[str, bool]]:
    """Which credential variables are set (never their values)."""
    values = settings.CHORUS_CREDENTIALS.get(environment, {})
    return [(variable_name(environment, name), bool(values.get(name))) for name in CREDENTIAL_NAMES]


@sensitive_variables("values")
def chorus_client(*, environment: str) -> ChorusClient:
    values = settings.CHORUS_CREDENTIALS.get(environment, {})
    urls = settings.CHORUS_URLS[environment]
    return ChorusClient(
        endpoints=Endpoints(oauth=urls["oauth"], api=urls["api"]),
        credentials=Credentials(
            client_id=values.get("client_id", ""),
            client_secret=values.get("client_secret", ""),
            login=values.get("login", ""),
            password=values.get("password", ""),
        ),
        timeout=tuple(settings.CHORUS_HTTP_TIMEOUT),
        retries=settings.CHORUS_HTTP_RETRIES,
        backoff=settings.CHORUS_HTTP_BACKOFF,
    )


def error_explain(error: ChorusError, environment: str) -> str:
    """A failure in the words of the set-up guides: which setting to look at, or maintenance."""
    label = environment  # "qualification" or "production", the words of the guides
    detail = f" Détail : {error.libelle or error.message}" if error.kind in ("unauthorized", "forbidden") else ""
    if error.kind == "config":
        missing = [
            variable_name(environment, name)
            for name in CREDENTIAL_NAMES
            if not settings.CHORUS_CREDENTIALS.get(environment, {}).get(name)
        ]
        return (
            f"Identifiants Chorus Pro ({label}) absents de l'environnement du serveur : {', '.join(missing)}. "
            "Ils se déclarent dans l'environnement (ou le fichier .env), jamais dans la base de données."
        )
    if error.kind == "credentials":
        return (
            f"PISTE refuse l'application ({error.message}) Vérifiez {variable_name(environment, 'client_id')} et "
            f"{variable_name(environment, 'client_secret')} : ce sont le Client ID et le Client Secret de "
            f"l'application PISTE de l'environnement {label} (« Identifiants Oauth » sur PISTE ; en qualification, "
            "l'application APP_SANDBOX_… créée automatiquement). Le client secret a peut-être été renouvelé sur PISTE."
        )
    if error.kind == "unauthorized":
        return (
            f"Erreur 401 : problème de paramétrage. Le mot de passe du compte technique est-il correct et encore "
            f"valide ({variable_name(environment, 'login')}, {variable_name(environment, 'password')}) ? "
            "Vous pouvez le régénérer dans Chorus Pro puis le reporter ici. L'environnement choisi "
            f"({label}) est-il bien celui de ces identifiants ?{detail}"
        )
    if error.kind == "forbidden":
        return (
            "Erreur 403 : problème de paramétrage. Sur PISTE, l'application doit avoir souscrit aux API "
            "« AIFE – Chorus Pro – Factures », « Transverses » et « Structures » et accepté leurs CGU dans "
            f"l'environnement {label} ; dans Chorus Pro, le raccordement PISTE doit porter exactement le nom de "
            f"l'application (majuscules comprises) et être ACTIF.{detail}"
        )
    if error.kind == "maintenance":
        return (
            "Erreur 500 : le portail Chorus Pro est en maintenance et n'est pas disponible. Réessayez plus tard "
            "(la maintenance est annoncée sur chorus-pro.gouv.fr)."
        )
    if error.kind == "unavailable":
        return (
            f"Chorus Pro est momentanément indisponible (HTTP {error.status}, « bad gateway ») : réessayez plus tard."
        )
    if error.kind == "network":
        urls = settings.CHORUS_URLS[environment]
        hosts = ", ".join(sorted({urlsplit(urls["oauth"]).netloc, urlsplit(urls["api"]).netloc}))
        return f"Chorus Pro (PISTE) ne répond pas : vérifiez que le serveur peut joindre {hosts} (réseau, pare-feu)."
    if error.kind == "refused":
        return f"Chorus Pro refuse : {error.libelle or error.message}"
    return error.message


@dataclass
class ConnectionStep:
    label: str
    ok: bool
    detail: str = ""


@dataclass
class ConnectionReport:
    environment: str
    steps: list[ConnectionStep] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)


def connection_test(*, environment: str | None = None) -> ConnectionReport:
    """ "Tester la connexion": the token, the health-check, the technical user's rights, then
    our supplier identifiers (idFournisseur, service, bank details), fetched and kept."""
    environment = environment or chorus_settings_get().environment
    report = ConnectionReport(environment)
    client = chorus_client(environment=environment)
    client.token_forget()  # test the credentials as they are now, not a token obtained earlier
    steps = [
        ("Jeton d'accès PISTE (OAuth2)", lambda: client.token() and "Jeton obtenu."),
        ("Disponibilité de Chorus Pro (health-check)", lambda: client.health_check().get("libelle") or "Disponible."),
        ("Droits du compte technique", lambda: _rights_step(client)),
        ("Identifiants du fournisseur", lambda: _supplier_step(client, environment)),
    ]
    for label, run in steps:
        try:
            detail = run()
        except ChorusError as error:
            report.steps.append(ConnectionStep(label, False, error_explain(error, environment)))
            break
        except ChorusRefused as refused:
            report.steps.append(ConnectionStep(label, False, str(refused)))
            break
        report.steps.append(ConnectionStep(label, True, str(detail)))
    account = chorus_account_get(environment)
    account.last_test_at = timezone.now()
    account.last_test_ok = report.ok
    account.last_test_steps = [{"label": s.label, "ok": s.ok, "detail": s.detail} for s in report.steps]
    account.save(update_fields=["last_test_at", "last_test_ok", "last_test_steps"])
    logger.info("choruspro connection test environment=%s ok=%s", environment, report.ok)
    return report


def _rights_step(client: ChorusClient) -> str:
    structures = client.structures_for_user().get("listeStructures") or []
    if not structures:
        raise ChorusRefused(
            "Le compte technique n'est rattaché à aucune structure : rattachez-le à celle de la collectivité dans Chorus Pro."
        )
    names = ", ".join(f"{s.get('designationStructure', '')} ({s.get('identifiantStructure', '')})" for s in structures)
    siret = chorus_settings_get().supplier_siret
    if siret and siret not in {str(s.get("identifiantStructure", "")) for s in structures}:
        raise ChorusRefused(
            f"Le SIRET de la collectivité ({siret}) n'est pas celui des structures du compte technique ({names}) : "
            "corrigez le SIRET dans les paramètres, ou rattachez le compte technique à la bonne structure."
        )
    return f"Compte technique rattaché à : {names}."


def supplier_identifiers_fetch(*, client: ChorusClient, environment: str) -> ChorusAccount:
    """idFournisseur, idServiceFournisseur and codeCoordonneesBancairesFournisseur, kept for the invoices."""
    structures = client.supplier_structures().get("listeStructures") or []
    siret = chorus_settings_get().supplier_siret
    mine = next((s for s in structures if str(s.get("identifiantStructure")) == siret), None) or (
        structures[0] if structures else None
    )
    if mine is None:
        raise ChorusRefused("Aucune structure fournisseur active pour ce compte technique dans Chorus Pro.")
    supplier_id = int(mine["idStructureCPP"])
    services = [
        s
        for s in client.services_search(structure_id=supplier_id).get("listeServices") or []
        if s.get("estActif", True)
    ]
    banks = client.bank_details(structure_id=supplier_id).get("listeCoordonneeBancaire") or []
    account = chorus_account_get(environment)
    account.supplier_id = supplier_id
    account.supplier_label = str(mine.get("designationStructure", ""))[:200]
    account.supplier_identifier = str(mine.get("identifiantStructure", ""))[:20]
    account.supplier_service_id = int(services[0]["idService"]) if services else None
    account.supplier_service_label = (
        f"{services[0].get('codeService', '')} – {services[0].get('libelleService', '')}" if services else ""
    )[:200]
    account.bank_details_id = int(banks[0]["idCoordonneeBancaire"]) if banks else None
    account.bank_details_label = str(banks[0].get("nomCoordonneeBancaire", "")) if banks else ""
    account.identifiers_fetched_at = timezone.now()
    account.save()
    return account


def _supplier_step(client: ChorusClient, environment: str) -> str:
    account = supplier_identifiers_fetch(client=client, environment=environment)
    if account.bank_details_id is None:
        raise ChorusRefused(
            "Aucune coordonnée bancaire valide sur la structure fournisseur : ajoutez le RIB dans Chorus Pro."
        )
    service = f", service {account.supplier_service_label}" if account.supplier_service_label else ""
    return (
        f"idFournisseur {account.supplier_id} ({account.supplier_label}){service}, coordonnées bancaires "
        f"{account.bank_details_id} ({account.bank_details_label})."
    )


def renewal_warnings(*, today: datetime.date | None = None) -> list[str]:
    """A few weeks before the technical password expires or the client secret is due for renewal."""
    today = today or timezone.localdate()
    horizon = datetime.timedelta(days=settings.CHORUS_RENEWAL_WARNING_DAYS)
    warnings = []
    for account in ChorusAccount.objects.all().order_by("environment"):
        label = account.environment
        if account.password_expires_on and account.password_expires_on - horizon <= today:
            verb = "a expiré" if account.password_expires_on < today else "expire"
            warnings.append(
                f"Le mot de passe du compte technique ({label}) {verb} le {account.password_expires_on:%d/%m/%Y} : "
                f"régénérez-le dans Chorus Pro, mettez à jour {variable_name(account.environment, 'password')} "
                "puis la date d'expiration ici."
            )
        if account.secret_renewed_on:
            due = account.secret_renewed_on + datetime.timedelta(days=SECRET_RENEWAL_DAYS)
            if due - horizon <= today:
                warnings.append(
                    f"Le client secret PISTE ({label}) est à renouveler le {due:%d/%m/%Y} (tous les 3 mois) : "
                    f"renouvelez-le sur PISTE, mettez à jour {variable_name(account.environment, 'client_secret')} "
                    "puis la date du renouvellement ici."
                )
    return warnings
