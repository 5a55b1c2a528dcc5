"""`/healthz` for the load balancer: can this process serve (database), and how is the rest."""

import datetime

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from payments.returns.spool import spool_status

QUEUE_LATE_AFTER = datetime.timedelta(minutes=5)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:  # noqa: BLE001 - any failure means "cannot serve"
        return "unavailable"


def _queue() -> str:
    """A task waiting for more than a few minutes means no worker is draining the queue."""
    from django_tasks_db.models import DBTaskResult

    late = DBTaskResult.objects.filter(status="READY", enqueued_at__lt=timezone.now() - QUEUE_LATE_AFTER)
    return "late" if late.exists() else "ok"


def _spool() -> dict[str, int | str]:
    """Return notices waiting in the local spool (the database could not take them): reported,
    never a reason to fail the check (the spool is what keeps them). Absent when empty."""
    try:
        status = spool_status()
    except Exception:  # noqa: BLE001 - an unreadable spool is worth a look, not a 503
        return {"spool": "unreadable"}
    report: dict[str, int | str] = {}
    if status["waiting"]:
        report["spool"] = status["waiting"]
    if status["rejected"]:
        report["spool_rejected"] = status["rejected"]
    return report


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    database = _database()
    checks = {"database": database, "queue": _queue() if database == "ok" else "unknown", **_spool()}
    healthy = database == "ok"
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


def robots_txt(request: HttpRequest) -> HttpResponse:
    """Keep robots out of the staff console, accounts and payment pages."""
    lines = ["User-agent: *", "Disallow: /gestion/", "Disallow: /compte/", "Disallow: /paiement/", "Disallow: /tipi/"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
