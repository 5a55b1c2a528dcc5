"""The project's URLs plus the two baselines of bench/return_endpoint.py.

/bench/empty/   answers 200 "OK" and does nothing else (the cost of Django + gunicorn).
/bench/insert/  one durable INSERT of the raw body, autocommit (the ceiling for an endpoint
                that must store what it received before it answers).
"""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from tipiportal.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def empty(request: HttpRequest) -> HttpResponse:
    return HttpResponse("OK", content_type="text/plain")


@csrf_exempt
def insert(request: HttpRequest) -> HttpResponse:
    # Autocommit (Django's default, no ATOMIC_REQUESTS): the INSERT is committed, hence
    # flushed to the WAL, before the answer leaves. The table is created by the script.
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_raw (body) VALUES (%s)", [request.body])
    return HttpResponse("OK", content_type="text/plain")


urlpatterns = [
    path("bench/empty/", empty),
    path("bench/insert/", insert),
    *project_urlpatterns,
]
