from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """The Django admin, with a site whose login is the staff login and that asks for the second
    factor like every staff page (replaces django.contrib.admin in INSTALLED_APPS)."""

    default_site = "staff.auth.site.StaffAdminSite"
