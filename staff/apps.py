from django.apps import AppConfig


class StaffConfig(AppConfig):
    """The back office (/gestion/): views, forms and URLs of every section; no models."""

    name = "staff"
    verbose_name = "Gestion"
