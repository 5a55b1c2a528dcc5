from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "payments.sandbox"
    label = "tipi_sandbox"
    verbose_name = "Bac à sable TIPI"
