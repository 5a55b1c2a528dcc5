"""Debts, under /gestion/dettes/ (namespace ``staff``)."""

from django.urls import path

from staff.debts import views

urlpatterns = [
    path("", views.debt_list, name="debt-list"),
    path("nouvelle/", views.debt_new, name="debt-new"),
    path("<int:pk>/", views.debt_detail, name="debt-detail"),
    path("<int:pk>/annuler/", views.debt_cancel_view, name="debt-cancel"),
    path("<int:pk>/marquer-payee/", views.debt_mark_paid_view, name="debt-mark-paid"),
    path("<int:pk>/rattacher/", views.reference_link_view, name="reference-link"),
    path("<int:pk>/rattachements/<int:link_pk>/retirer/", views.reference_unlink_view, name="reference-unlink"),
]
