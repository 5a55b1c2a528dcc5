"""The sandbox's control API for tests (plain form POSTs, CSRF-exempt; the sandbox is only routed
with TIPI_SANDBOX): settle an operation, send its notification now, show it, pass the night."""

import re

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from payments.sandbox.models import PayfipOperation
from payments.sandbox.payfip_side import (
    OperationClosed,
    operation_is_purged,
    payfip_night_pass,
    payfip_notification_now,
    payfip_operation_settle,
)

_RESULTRANS_RE = re.compile(r"[A-Z0-9]{1,4}")
_NUMAUTO_RE = re.compile(r"[A-Za-z0-9]{0,16}")


def _unknown(idop: str) -> JsonResponse:
    return JsonResponse({"erreur": f"opération inconnue : {idop[:40]}"}, status=404)


def _shown(operation: PayfipOperation) -> dict:
    status = "P1" if operation_is_purged(operation) else (operation.resultrans or "P5")
    return {
        "idop": operation.idop,
        "params": operation.params,
        "created_at": operation.created_at.isoformat(),
        "opened_at": operation.opened_at.isoformat() if operation.opened_at else None,
        "status": status,
        "resultrans": operation.resultrans,
        "numauto": operation.numauto,
        "dattrans": operation.dattrans,
        "heurtrans": operation.heurtrans,
        "notifications": [
            {
                "due_at": notification.due_at.isoformat(),
                "sent_at": notification.sent_at.isoformat() if notification.sent_at else None,
                "outcome": notification.outcome,
            }
            for notification in operation.notifications.all()
        ],
    }


@require_GET
def operation_show(request: HttpRequest, idop: str) -> JsonResponse:
    operation = PayfipOperation.objects.filter(idop=idop).first()
    return JsonResponse(_shown(operation)) if operation else _unknown(idop)


@csrf_exempt
@require_POST
def operation_result(request: HttpRequest, idop: str) -> JsonResponse:
    resultrans = request.POST.get("resultrans", "")
    numauto = request.POST.get("numauto")
    if not _RESULTRANS_RE.fullmatch(resultrans):
        return JsonResponse({"erreur": "resultrans : 1 à 4 lettres majuscules ou chiffres"}, status=400)
    if numauto is not None and not _NUMAUTO_RE.fullmatch(numauto):
        return JsonResponse({"erreur": "numauto : jusqu'à 16 lettres ou chiffres"}, status=400)
    if not PayfipOperation.objects.filter(idop=idop).exists():
        return _unknown(idop)
    try:
        operation = payfip_operation_settle(idop=idop, resultrans=resultrans, numauto=numauto)
    except OperationClosed:
        return JsonResponse({"erreur": "opération déjà réglée ou purgée"}, status=409)
    return JsonResponse(_shown(operation))


@csrf_exempt
@require_POST
def operation_notify(request: HttpRequest, idop: str) -> JsonResponse:
    operation = PayfipOperation.objects.filter(idop=idop).first()
    if operation is None:
        return _unknown(idop)
    notification = payfip_notification_now(operation=operation)
    return JsonResponse({"idop": idop, "outcome": notification.outcome})


@csrf_exempt
@require_POST
def night(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"purged": payfip_night_pass()})
