"""Debt file imports, under /gestion/imports/ (namespace ``staff``)."""

from django.urls import path

from staff.imports import views

urlpatterns = [
    path("", views.batch_list, name="batch-list"),
    path("nouveau/", views.batch_new, name="batch-new"),
    path("<int:pk>/", views.batch_detail, name="batch-detail"),
    path("<int:pk>/etat/", views.batch_status, name="batch-status"),
    path("<int:pk>/rapport.csv", views.batch_report_csv, name="batch-report-csv"),
    path("<int:pk>/confirmer/", views.batch_confirm, name="batch-confirm"),
    path("<int:pk>/changer-de-mode/", views.batch_mode_change, name="batch-mode"),
    path("<int:pk>/codes-acces.csv", views.batch_access_codes_csv, name="batch-access-codes"),
]
