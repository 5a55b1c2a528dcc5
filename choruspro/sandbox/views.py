"""The sandbox's HTTP side: PISTE's token endpoint, Chorus Pro's API (JSON), and a control page
(maintenance, subscriptions, invoices and the hook that forces their next status)."""

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from choruspro.sandbox import chorus_side
from choruspro.sandbox.models import (
    Environment,
    SandboxApplication,
    SandboxInvoice,
    SandboxRequest,
    SandboxStructure,
    SandboxSwitch,
    SandboxTechnicalUser,
)
from choruspro.sandbox.seed import environment_seed

logger = logging.getLogger(__name__)
MAX_BODY = 16 * 1024 * 1024  # a 10 MB PDF in base64 and its JSON
ENVIRONMENTS = {choice.value for choice in Environment}


def _environment(environment: str) -> str:
    if environment not in ENVIRONMENTS:
        raise Http404
    return environment


def _answer(environment: str, request: HttpRequest, path: str, status: int, body: dict) -> JsonResponse:
    SandboxRequest.objects.create(environment=environment, method=request.method, path=path[:200], status=status)
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
def token(request: HttpRequest, environment: str) -> JsonResponse:
    environment = _environment(environment)
    path = "/api/oauth/token"
    if request.method != "POST":
        return _answer(environment, request, path, 405, {"error": "invalid_request"})
    try:
        body = chorus_side.token_issue(environment=environment, form=request.POST)
    except chorus_side.ApiError as error:
        return _answer(environment, request, path, error.status, error.body)
    return _answer(environment, request, path, 200, body)


@csrf_exempt
def api(request: HttpRequest, environment: str, path: str) -> JsonResponse:
    environment = _environment(environment)
    path = "/cpro/" + path
    handler = chorus_side.CALLS.get((request.method, path))
    if handler is None:
        known = any(p == path for _, p in chorus_side.CALLS)
        return _answer(
            environment, request, path, 405 if known else 404, {"codeRetour": 404, "libelle": "Service inconnu"}
        )
    try:
        user = chorus_side.access_check(environment=environment, path=path, headers=request.headers)
        body = {}
        if request.method == "POST":
            if not request.content_type.startswith("application/json"):
                raise chorus_side.refused("Content-Type application/json attendu.", 10002)
            # Read the stream directly: Django's DATA_UPLOAD_MAX_MEMORY_SIZE guards request.body.
            raw = request.read(MAX_BODY + 1)
            if len(raw) > MAX_BODY:
                raise chorus_side.refused("Le fichier dépasse la taille maximale autorisée (10 Mo).", 20014, status=413)
            body = chorus_side.body_json(raw)
        result = handler(user=user, body=body)
    except chorus_side.ApiError as error:
        return _answer(environment, request, path, error.status, error.body)
    return _answer(environment, request, path, 200, result)


# --- Control page ----------------------------------------------------------------------


def control(request: HttpRequest) -> HttpResponse:
    worlds = []
    for environment in Environment:
        environment_seed(environment.value)
        invoices = list(SandboxInvoice.objects.filter(environment=environment.value).select_related("recipient")[:30])
        worlds.append(
            {
                "environment": environment,
                "switch": SandboxSwitch.objects.get(environment=environment.value),
                "applications": SandboxApplication.objects.filter(environment=environment.value),
                "users": SandboxTechnicalUser.objects.filter(environment=environment.value).select_related("structure"),
                "structures": SandboxStructure.objects.filter(environment=environment.value).order_by("cpp_id"),
                "invoices": [chorus_side.invoice_advance(invoice=invoice) for invoice in invoices],
                "requests": SandboxRequest.objects.filter(environment=environment.value).order_by("-pk")[:15],
            }
        )
    context = {"worlds": worlds, "forceable": chorus_side.FORCEABLE, "final": chorus_side.FINAL}
    return render(request, "choruspro/sandbox/control.html", context)


@require_POST
def maintenance(request: HttpRequest, environment: str) -> HttpResponse:
    switch = get_object_or_404(SandboxSwitch, environment=_environment(environment))
    switch.maintenance = request.POST.get("maintenance") == "1"
    switch.save(update_fields=["maintenance"])
    return redirect("choruspro_sandbox:control")


APPLICATION_FLAGS = ("api_factures", "api_transverses", "api_structures", "connection_active")


@require_POST
def application(request: HttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(SandboxApplication, pk=pk)
    for flag in APPLICATION_FLAGS:
        setattr(app, flag, request.POST.get(flag) == "1")
    app.save(update_fields=list(APPLICATION_FLAGS))
    return redirect("choruspro_sandbox:control")


@csrf_exempt  # a test hook, reached by URL like the API (the sandbox is never routed in production)
@require_POST
def invoice_force(request: HttpRequest, pk: int) -> HttpResponse:
    """The test hook: force the next status (or the one chosen) of a sandbox invoice now."""
    invoice = get_object_or_404(SandboxInvoice, pk=pk)
    try:
        chorus_side.invoice_force(
            invoice=invoice,
            status=request.POST.get("statut", "").strip(),
            comment=request.POST.get("motif", "").strip(),
        )
    except ValueError as error:
        if request.headers.get("Accept", "").startswith("application/json"):
            return JsonResponse({"error": str(error)}, status=409)
        return redirect("choruspro_sandbox:control")
    if request.headers.get("Accept", "").startswith("application/json"):
        invoice.refresh_from_db()
        return JsonResponse({"idFacture": invoice.pk, "statut": invoice.status})
    return redirect("choruspro_sandbox:control")
