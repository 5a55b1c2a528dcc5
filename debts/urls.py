"""Staff pages, under /gestion/ (the admin console is at /gestion/admin/)."""

from django.urls import path

from debts import views

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("imports/", views.batch_list, name="batch-list"),
    path("imports/nouveau/", views.batch_new, name="batch-new"),
    path("imports/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("imports/<int:pk>/etat/", views.batch_status, name="batch-status"),
    path("imports/<int:pk>/rapport.csv", views.batch_report_csv, name="batch-report-csv"),
    path("imports/<int:pk>/confirmer/", views.batch_confirm, name="batch-confirm"),
    path("imports/<int:pk>/codes-acces.csv", views.batch_access_codes_csv, name="batch-access-codes"),
    path("dettes/", views.debt_list, name="debt-list"),
    path("dettes/<int:pk>/", views.debt_detail, name="debt-detail"),
    path("dettes/<int:pk>/annuler/", views.debt_cancel_view, name="debt-cancel"),
    path("dettes/<int:pk>/marquer-payee/", views.debt_mark_paid_view, name="debt-mark-paid"),
    path("dettes/<int:pk>/rattacher/", views.reference_link_view, name="reference-link"),
    path("dettes/<int:pk>/rattachements/<int:link_pk>/retirer/", views.reference_unlink_view, name="reference-unlink"),
]
