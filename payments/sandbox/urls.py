from django.urls import path

from payments.sandbox import payfip_control, payfip_pages, payfip_soap, views

app_name = "sandbox"

urlpatterns = [
    path("tpa/paiement.web", views.paiement, name="paiement"),
    # PayFiP's web-service mode: the SOAP service (and ?wsdl), the payment page.
    path("tpa/services/securite", payfip_soap.securite, name="payfip_securite"),
    path("tpa/paiementws.web", payfip_pages.paiementws, name="payfip_paiement"),
    # The control API for tests.
    path("tpa/sandbox/operations/<str:idop>", payfip_control.operation_show, name="payfip_operation"),
    path("tpa/sandbox/operations/<str:idop>/result", payfip_control.operation_result, name="payfip_result"),
    path("tpa/sandbox/operations/<str:idop>/notify", payfip_control.operation_notify, name="payfip_notify"),
    path("tpa/sandbox/night", payfip_control.night, name="payfip_night"),
]
