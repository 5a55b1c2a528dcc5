"""`manage.py purge_personal_data`: erase e-mail addresses older than the retention period."""

from django.conf import settings
from django.core.management.base import BaseCommand

from payments.services.personal_data import personal_data_purge


class Command(BaseCommand):
    help = "Efface les adresses électroniques des transactions et des retours TIPI plus anciens que la durée de conservation."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="durée de conservation en jours (par défaut PERSONAL_DATA_RETENTION_DAYS)",
        )

    def handle(self, *args, **options):
        days = options["days"] or settings.PERSONAL_DATA_RETENTION_DAYS
        transactions, notices = personal_data_purge(older_than_days=days)
        self.stdout.write(f"{transactions} transaction(s) et {notices} retour(s) anonymisés (plus de {days} jours).")
