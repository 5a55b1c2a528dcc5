from django.apps import AppConfig


class ChorusProConfig(AppConfig):
    name = "choruspro"
    label = "choruspro"
    verbose_name = "Chorus Pro (factures aux organismes publics)"
    default_auto_field = "django.db.models.BigAutoField"
