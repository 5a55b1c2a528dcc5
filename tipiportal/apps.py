from django.apps import AppConfig


class TipiportalConfig(AppConfig):
    """The project itself, as an app only for its management commands (demo_data, staff_user)."""

    name = "tipiportal"
    verbose_name = "Portail TIPI"
