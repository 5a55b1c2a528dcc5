"""Chorus Pro staff pages, under /gestion/chorus-pro/."""

from django.urls import path

from staff.choruspro import views

app_name = "choruspro"

urlpatterns = [
    path("", views.debt_list, name="debts"),
    path("parametres/", views.configuration, name="configuration"),
    path("parametres/tester/", views.connection_test, name="connection-test"),
    path("organismes/", views.public_bodies, name="public-bodies"),
    path("organismes/detecter/", views.public_bodies_detect, name="public-bodies-detect"),
    path("envoyer/", views.send, name="send"),
    path("envois/<int:pk>/", views.batch_detail, name="batch"),
    path("envois/<int:pk>/etat/", views.batch_status, name="batch-status"),
    path("dettes/<int:pk>/", views.debt_detail, name="debt"),
    path("dettes/<int:pk>/organisme/", views.public_body_mark, name="public-body-mark"),
    path("dettes/<int:pk>/organisme/retirer/", views.public_body_unmark, name="public-body-unmark"),
    path("dettes/<int:pk>/organisme/structure/", views.structure_refresh, name="structure-refresh"),
    path("dettes/<int:pk>/actualiser/", views.debt_poll, name="debt-poll"),
    path("factures/<int:pk>/renvoyer/", views.invoice_resend, name="invoice-resend"),
    path("factures/<int:pk>/facture.pdf", views.invoice_pdf, name="invoice-pdf"),
]
