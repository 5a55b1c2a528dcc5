"""PISTE in the sandbox: the OAuth token, then the checks every API call goes through
(maintenance, bearer token, API subscribed, Chorus Pro technical user, raccordement)."""

from __future__ import annotations

import base64
import binascii
import datetime

from django.conf import settings
from django.utils import timezone

from choruspro.sandbox.api import ApiError
from choruspro.sandbox.models import SandboxApplication, SandboxSwitch, SandboxTechnicalUser, SandboxToken
from choruspro.sandbox.seed import environment_seed

__all__ = ["access_check", "api_group", "token_issue"]


def token_issue(*, environment: str, form) -> dict:
    environment_seed(environment)
    if form.get("grant_type") != "client_credentials":
        raise ApiError(
            400, {"error": "unsupported_grant_type", "error_description": "grant_type=client_credentials attendu"}
        )
    application = SandboxApplication.objects.filter(
        environment=environment, client_id=form.get("client_id", ""), client_secret=form.get("client_secret", "")
    ).first()
    if application is None:
        raise ApiError(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
    lifetime = settings.CHORUS_SANDBOX_TOKEN_SECONDS
    token = SandboxToken.objects.create(
        application=application, expires_at=timezone.now() + datetime.timedelta(seconds=lifetime)
    )
    return {"access_token": token.token, "token_type": "Bearer", "expires_in": lifetime, "scope": "openid"}


def api_group(path: str) -> str:
    """/cpro/factures/v1/… → factures."""
    parts = path.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "cpro" else ""


def access_check(*, environment: str, path: str, headers) -> SandboxTechnicalUser:
    """PISTE then Chorus Pro: maintenance (500), bearer token (401), API subscribed (403),
    technical user (401), raccordement declared and ACTIF (403)."""
    environment_seed(environment)
    if SandboxSwitch.objects.filter(environment=environment, maintenance=True).exists():
        raise ApiError(
            500, {"codeRetour": 500, "libelle": "Chorus Pro est en cours de maintenance. Réessayez plus tard."}
        )
    authorization = headers.get("Authorization", "")
    token_value = authorization[7:].strip() if authorization.startswith("Bearer ") else ""
    token = (
        SandboxToken.objects.select_related("application")
        .filter(token=token_value, application__environment=environment, expires_at__gt=timezone.now())
        .first()
        if token_value
        else None
    )
    if token is None:
        raise ApiError(401, {"error": "invalid_token", "error_description": "Jeton d'accès absent, invalide ou expiré"})
    application = token.application
    group = api_group(path)
    if not application.subscribed(group):
        raise ApiError(
            403,
            {
                "error": "access_denied",
                "error_description": f"L'application {application.name} n'a pas souscrit à l'API {group}",
            },
        )
    user = _technical_user(environment, headers.get("cpro-account", ""))
    if not application.connection_active:
        raise ApiError(
            403, {"codeRetour": 403, "libelle": f"Aucun raccordement PISTE actif pour l'application {application.name}"}
        )
    return user


def _technical_user(environment: str, header: str) -> SandboxTechnicalUser:
    try:
        login, _, password = base64.b64decode(header.encode("ascii"), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeError, ValueError):
        raise ApiError(401, {"codeRetour": 401, "libelle": "En-tête cpro-account absent ou mal encodé"}) from None
    user = SandboxTechnicalUser.objects.select_related("structure").filter(environment=environment, login=login).first()
    if user is None or user.password != password or not user.active:
        raise ApiError(401, {"codeRetour": 401, "libelle": "Compte technique inconnu ou mot de passe incorrect"})
    if user.password_expires_on < timezone.localdate():
        raise ApiError(401, {"codeRetour": 401, "libelle": "Le mot de passe du compte technique a expiré"})
    return user
