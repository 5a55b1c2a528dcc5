"""Money follow-up pages, under /gestion/suivi/ (agents and administrators)."""

from django.urls import path

from staff.followup import payfip_views, views

app_name = "followup"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("transactions/", views.transaction_list, name="transaction-list"),
    path("transactions/export.<str:fmt>", views.transaction_export, name="transaction-export"),
    path("transactions/<int:pk>/", views.transaction_detail, name="transaction-detail"),
    path("retours/", views.notice_list, name="notice-list"),
    path("payfip/", payfip_views.payfip_followup, name="payfip"),
    path("payfip/transactions/<int:pk>/verifier/", payfip_views.payfip_check_now, name="payfip-check"),
    path("rapprochement/", views.reconciliation, name="reconciliation"),
    path("rapprochement/selection/", views.reconcile_bulk, name="reconcile-bulk"),
    path("rapprochement/fichier/", views.reconcile_file, name="reconcile-file"),
    path("rapprochement/dettes/<int:pk>/defaire/", views.reconcile_undo, name="reconcile-undo"),
    path("exports/", views.exports, name="exports"),
    path("exports/dettes.<str:fmt>", views.debt_export, name="debt-export"),
    path("audit/", views.audit, name="audit"),
    path("audit/dette/<int:pk>/", views.audit_debt, name="audit-debt"),
]
