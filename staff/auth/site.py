"""The Django admin site of /gestion/admin/: its login is the throttled staff login, and a staff
member who owes a second factor is sent to it like from every staff page."""

from django.contrib import admin

from staff.auth import views
from tipiportal.roles import second_factor_missing


class StaffAdminSite(admin.AdminSite):
    site_header = "Console d'administration du portail"
    site_title = "Console d'administration"

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and not second_factor_missing(request)

    def login(self, request, extra_context=None):
        return views.staff_login(request)
