"""PISTE and Chorus Pro as the sandbox sees them, one set per environment (qualification and
production are separate worlds with their own credentials, like the real ones).

The credentials here are the sandbox's own demo values, known to anyone who reads the code:
they open nothing but this sandbox.
"""

import secrets

from django.db import models


class Environment(models.TextChoices):
    QUALIFICATION = "qualification", "Qualification"
    PRODUCTION = "production", "Production"


class SandboxSwitch(models.Model):
    """Per environment: Chorus Pro in maintenance (every API call answers 500)."""

    environment = models.CharField(max_length=13, choices=Environment.choices, unique=True)
    maintenance = models.BooleanField("en maintenance", default=False)

    class Meta:
        verbose_name = "interrupteur (bac à sable Chorus Pro)"
        verbose_name_plural = "interrupteurs (bac à sable Chorus Pro)"

    def __str__(self) -> str:
        return self.environment


class SandboxStructure(models.Model):
    """A Chorus Pro structure: the authority (supplier) or a public recipient with its rules."""

    environment = models.CharField(max_length=13, choices=Environment.choices)
    cpp_id = models.BigIntegerField("idStructureCPP")
    siret = models.CharField(max_length=14)
    name = models.CharField("raison sociale", max_length=200)
    active = models.BooleanField(default=True)
    is_supplier = models.BooleanField("structure fournisseur", default=False)
    service_code_required = models.BooleanField("code service obligatoire", default=False)
    engagement_required = models.BooleanField("numéro d'engagement obligatoire", default=False)
    # [{"id": 1, "code": "INTENDANCE", "label": "Intendance", "active": true}]
    services = models.JSONField(default=list, blank=True)
    # Engagement numbers the recipient knows; any other is rejected after pre-processing.
    engagements = models.JSONField(default=list, blank=True)
    # Supplier only: [{"id": 7, "label": "…"}]
    bank_details = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = "structure (bac à sable Chorus Pro)"
        verbose_name_plural = "structures (bac à sable Chorus Pro)"
        constraints = [
            models.UniqueConstraint(fields=["environment", "siret"], name="sandbox_structure_siret"),
            models.UniqueConstraint(fields=["environment", "cpp_id"], name="sandbox_structure_cpp_id"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.siret})"

    def service(self, code: str) -> dict | None:
        return next((s for s in self.services if s.get("code") == code), None)


class SandboxApplication(models.Model):
    """A PISTE application, its subscribed APIs and its raccordement in Chorus Pro."""

    environment = models.CharField(max_length=13, choices=Environment.choices)
    name = models.CharField("nom de l'application PISTE", max_length=100)
    client_id = models.CharField(max_length=100)
    client_secret = models.CharField(max_length=100)
    api_factures = models.BooleanField("API Factures souscrite", default=True)
    api_transverses = models.BooleanField("API Transverses souscrite", default=True)
    api_structures = models.BooleanField("API Structures souscrite", default=True)
    connection_active = models.BooleanField("raccordement ACTIF dans Chorus Pro", default=True)

    class Meta:
        verbose_name = "application PISTE (bac à sable)"
        verbose_name_plural = "applications PISTE (bac à sable)"
        constraints = [models.UniqueConstraint(fields=["environment", "client_id"], name="sandbox_app_client_id")]

    def __str__(self) -> str:
        return self.name

    def subscribed(self, api: str) -> bool:
        return bool(getattr(self, f"api_{api}", False))


class SandboxTechnicalUser(models.Model):
    environment = models.CharField(max_length=13, choices=Environment.choices)
    login = models.CharField(max_length=200)
    password = models.CharField(max_length=200)
    password_expires_on = models.DateField("expiration du mot de passe")
    active = models.BooleanField(default=True)
    user_id = models.BigIntegerField("idUtilisateur")
    structure = models.ForeignKey(SandboxStructure, on_delete=models.CASCADE, related_name="technical_users")

    class Meta:
        verbose_name = "compte technique (bac à sable Chorus Pro)"
        verbose_name_plural = "comptes techniques (bac à sable Chorus Pro)"
        constraints = [models.UniqueConstraint(fields=["environment", "login"], name="sandbox_user_login")]

    def __str__(self) -> str:
        return self.login


def _token() -> str:
    return secrets.token_urlsafe(32)


class SandboxToken(models.Model):
    application = models.ForeignKey(SandboxApplication, on_delete=models.CASCADE, related_name="tokens")
    token = models.CharField(max_length=64, unique=True, default=_token)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "jeton PISTE (bac à sable)"
        verbose_name_plural = "jetons PISTE (bac à sable)"

    def __str__(self) -> str:
        return f"jeton de {self.application_id} jusqu'au {self.expires_at:%d/%m/%Y %H:%M}"


class SandboxAttachment(models.Model):
    """A PDF received by deposer/pdf (its digest and size; the bytes are not kept)."""

    environment = models.CharField(max_length=13, choices=Environment.choices)
    user = models.ForeignKey(SandboxTechnicalUser, on_delete=models.CASCADE)
    filename = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    pages = models.PositiveSmallIntegerField(default=1)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.filename} ({self.size} octets)"


class SandboxInvoice(models.Model):
    environment = models.CharField(max_length=13, choices=Environment.choices)
    supplier = models.ForeignKey(SandboxStructure, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(SandboxStructure, on_delete=models.CASCADE, related_name="invoices")
    attachment = models.ForeignKey(SandboxAttachment, on_delete=models.PROTECT)
    number = models.CharField("numeroFacture", max_length=100)
    invoice_date = models.DateField()
    service_code = models.CharField(max_length=100, blank=True)
    engagement_number = models.CharField(max_length=50, blank=True)
    total_ht = models.DecimalField(max_digits=14, decimal_places=2)
    total_ttc = models.DecimalField(max_digits=14, decimal_places=2)
    payload = models.JSONField("corps de soumettre")
    status = models.CharField(max_length=40, default="DEPOSEE")
    # Set at submission: why pre-processing will reject it (e.g. an unknown engagement number).
    planned_rejection = models.CharField(max_length=300, blank=True)
    next_step_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "facture (bac à sable Chorus Pro)"
        verbose_name_plural = "factures (bac à sable Chorus Pro)"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["environment", "supplier", "number"], name="sandbox_invoice_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.status})"


class SandboxInvoiceStatus(models.Model):
    invoice = models.ForeignKey(SandboxInvoice, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=40)
    at = models.DateTimeField()
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.status} le {self.at:%d/%m/%Y %H:%M}"


class SandboxRequest(models.Model):
    """Every API call received (method, path, answer): what the tests count. No header, no body."""

    environment = models.CharField(max_length=13)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    status = models.PositiveSmallIntegerField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"
