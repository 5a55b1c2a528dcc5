from django.urls import path

from payments.sandbox import views

app_name = "sandbox"

urlpatterns = [path("tpa/paiement.web", views.paiement, name="paiement")]
