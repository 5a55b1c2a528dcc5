"""TIPI console, under /gestion/tipi/ (administrators): clients, test and activation URLs."""

from django.urls import path

from staff.console import views as console

app_name = "console"

urlpatterns = [
    path("", console.client_list, name="client-list"),
    path("clients/nouveau/", console.client_new, name="client-new"),
    path("clients/<int:pk>/", console.client_detail, name="client-detail"),
    path("clients/<int:pk>/modifier/", console.client_edit, name="client-edit"),
    # By the attempt's public id, never its OBJET token (this path is in access logs).
    path("clients/<int:pk>/essais/<slug:public_id>/", console.attempt_detail, name="attempt-detail"),
]
