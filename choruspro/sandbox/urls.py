"""Routed at /chorus-sandbox/ only when CHORUS_SANDBOX is on (never in production).

<env>/oauth/api/oauth/token stands for https://[sandbox-]oauth.piste.gouv.fr/api/oauth/token,
<env>/api/cpro/… for https://[sandbox-]api.piste.gouv.fr/cpro/…: only the base URLs differ.
"""

from django.urls import path

from choruspro.sandbox import views

app_name = "choruspro_sandbox"

urlpatterns = [
    path("", views.control, name="control"),
    path("<str:environment>/oauth/api/oauth/token", views.token, name="token"),
    path("<str:environment>/api/cpro/<path:path>", views.api, name="api"),
    path("<str:environment>/maintenance", views.maintenance, name="maintenance"),
    path("applications/<int:pk>/", views.application, name="application"),
    path("factures/<int:pk>/statut", views.invoice_force, name="invoice-force"),
]
