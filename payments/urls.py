from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("", views.home, name="home"),
    path("payer/", views.manual_choose_client, name="manual-choose"),
    path("payer/<str:numcli>/", views.manual_payment, name="manual"),
    path("paiement/<str:token>/", views.transaction_page, name="transaction"),
    path("paiement/<str:token>/statut/", views.transaction_status_json, name="transaction-status"),
    path("paiement/<str:token>/nouvel-essai/", views.transaction_retry_view, name="transaction-retry"),
    path("tipi/retour/", views.tipi_return, name="tipi-return"),
]
