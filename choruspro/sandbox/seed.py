"""The sandbox's world, created on first use of an environment (and again after a test flush).

Demo credentials (also the portal's development defaults in tipiportal/settings.py): they are
not secrets, they open nothing but this sandbox.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from choruspro.sandbox.models import (
    SandboxApplication,
    SandboxStructure,
    SandboxSwitch,
    SandboxTechnicalUser,
)

CREDENTIALS = {
    # environment: (application name, client_id, client_secret, technical login, password)
    "qualification": (
        "APP_SANDBOX_finances@commune-demo.fr",
        "piste-qualif-demo",
        "secret-qualif-demo",
        "TECH_QUALIF_DEMO@cpro.fr",
        "Qualif-Demo-2026!",
    ),
    "production": (
        "PORTAIL_PAIEMENT_21990001600011",
        "piste-prod-demo",
        "secret-prod-demo",
        "TECH_PROD_DEMO@cpro.fr",
        "Prod-Demo-2026!",
    ),
}

SUPPLIER_SIRET = "21990001600011"
SUPPLIER = {
    "siret": SUPPLIER_SIRET,
    "name": "COMMUNE DE DÉMO",
    "is_supplier": True,
    "services": [{"id": 1, "code": "FACTURATION", "label": "Service facturation", "active": True}],
    "bank_details": [{"id": 7, "label": "Trésorerie de Démo – compte au Trésor"}],
}

RECIPIENTS = [
    {"siret": "21880383100013", "name": "COMMUNE DE SAINT-ÉTIENNE-LÈS-REMIREMONT"},
    {
        "siret": "19420012700018",
        "name": "COLLÈGE JEAN MOULIN",
        "service_code_required": True,
        "services": [
            {"id": 11, "code": "INTENDANCE", "label": "Intendance", "active": True},
            {"id": 12, "code": "VIE-SCOLAIRE", "label": "Vie scolaire", "active": True},
            {"id": 13, "code": "ANCIEN-SERVICE", "label": "Ancien service (fermé)", "active": False},
        ],
    },
    {
        "siret": "26250001000018",
        "name": "CENTRE HOSPITALIER DE BESANÇON",
        "engagement_required": True,
        "engagements": ["EJ-2026-000123", "EJ-2026-000456"],
    },
    {
        "siret": "22420001400013",
        "name": "DÉPARTEMENT DE LA LOIRE",
        "service_code_required": True,
        "engagement_required": True,
        "services": [{"id": 21, "code": "DGA-EDUCATION", "label": "Direction de l'éducation", "active": True}],
        "engagements": ["2026-LOIRE-0042"],
    },
    {"siret": "21990002400015", "name": "SYNDICAT INTERCOMMUNAL DES ÉCOLES (fermé)", "active": False},
]

_FIRST_ID = {"qualification": 25_000_000, "production": 35_000_000}


def environment_seed(environment: str) -> None:
    """The structures, application and technical user of one environment (idempotent)."""
    if SandboxApplication.objects.filter(environment=environment).exists():
        return
    with transaction.atomic():
        SandboxSwitch.objects.get_or_create(environment=environment)
        first = _FIRST_ID[environment]
        supplier, _ = SandboxStructure.objects.get_or_create(
            environment=environment,
            siret=SUPPLIER["siret"],
            defaults={"cpp_id": first + 1, **{k: v for k, v in SUPPLIER.items() if k != "siret"}},
        )
        for offset, recipient in enumerate(RECIPIENTS, start=101):
            SandboxStructure.objects.get_or_create(
                environment=environment,
                siret=recipient["siret"],
                defaults={"cpp_id": first + offset, **{k: v for k, v in recipient.items() if k != "siret"}},
            )
        name, client_id, client_secret, login, password = CREDENTIALS[environment]
        SandboxApplication.objects.create(
            environment=environment, name=name, client_id=client_id, client_secret=client_secret
        )
        SandboxTechnicalUser.objects.get_or_create(
            environment=environment,
            login=login,
            defaults={
                "password": password,
                "user_id": first + 9000,
                "structure": supplier,
                "password_expires_on": timezone.localdate() + datetime.timedelta(days=365),
            },
        )
