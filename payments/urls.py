from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("", views.home, name="home"),
    path("payer/", views.manual_choose_client, name="manual-choose"),
    path("payer/<str:numcli>/", views.manual_payment, name="manual"),
    # An attempt's pages by its public id, never its OBJET token (these paths are in access logs).
    path("paiement/<slug:public_id>/", views.transaction_page, name="transaction"),
    path("paiement/<slug:public_id>/statut/", views.transaction_status_json, name="transaction-status"),
    path("paiement/<slug:public_id>/recu/", views.transaction_receipt, name="receipt"),
    path("paiement/<slug:public_id>/nouvel-essai/", views.transaction_retry_view, name="transaction-retry"),
    path("tipi/retour/", views.tipi_return, name="tipi-return"),
    # PayFiP's web-service mode: urlnotif (server to server) and urlredirect (the user's browser).
    path("payfip/notification/", views.payfip_notify, name="payfip-notify"),
    path("payfip/retour/", views.payfip_redirect, name="payfip-redirect"),
]
