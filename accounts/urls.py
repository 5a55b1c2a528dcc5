from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.debt_list, name="debts"),
    path("etat/", views.debt_states, name="debt-states"),
    path("dettes/<int:pk>/payer/", views.debt_pay, name="debt-pay"),
    path("references/", views.references, name="references"),
    path("references/<int:pk>/retirer/", views.reference_remove, name="reference-remove"),
]
