from django.apps import AppConfig


class ChorusSandboxConfig(AppConfig):
    name = "choruspro.sandbox"
    label = "choruspro_sandbox"
    verbose_name = "Bac à sable PISTE / Chorus Pro"
    default_auto_field = "django.db.models.BigAutoField"
