from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from tipiportal.health import healthz, robots_txt

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("robots.txt", robots_txt, name="robots"),
    path("gestion/", include("debts.urls")),
    path("gestion/admin/", admin.site.urls),
    path("compte/", include("accounts.urls")),
    path("compte/", include("allauth.urls")),
    path("", include("payments.urls")),
]

if settings.TIPI_SANDBOX:
    # Same path as the real service, so only TIPI_BASE_URL differs. Never routed in production.
    urlpatterns.append(path("", include("payments.sandbox.urls")))
