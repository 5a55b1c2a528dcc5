"""The back office, under /gestion/: its home, then the imports and debts sections (namespace
``staff``). The TIPI console, the follow-up and Chorus Pro have their own namespaces, included
by tipiportal/urls.py; the Django admin is at /gestion/admin/."""

from django.urls import include, path

from staff import views

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("imports/", include("staff.imports.urls")),
    path("dettes/", include("staff.debts.urls")),
]
