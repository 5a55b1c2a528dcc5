"""The second factor's pages, under /gestion/securite/ (the login itself is the admin's URL,
/gestion/admin/login/, served by staff.auth.views.staff_login through the admin site)."""

from django.urls import path

from staff.auth import views

app_name = "staff_auth"

urlpatterns = [
    path("code/", views.otp_verify, name="verify"),
    path("double-authentification/", views.otp_enrol, name="enrol"),
    path("mot-de-passe/", views.staff_password_change, name="password-change"),
    path("appareils/", views.otp_devices, name="devices"),
    path("appareils/<int:pk>/reinitialiser/", views.otp_device_reset, name="device-reset"),
]
