from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("gestion/", include("debts.urls")),
    path("gestion/admin/", admin.site.urls),
    path("compte/", include("accounts.urls")),
    path("compte/", include("allauth.urls")),
    path("", include("payments.urls")),
]

if settings.TIPI_SANDBOX:
    # Same path as the real service, so only TIPI_BASE_URL differs. Never routed in production.
    urlpatterns.append(path("", include("payments.sandbox.urls")))
