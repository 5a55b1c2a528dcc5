"""`manage.py purge_personal_data`: erase e-mail addresses older than the retention period, and
delete the refused or malformed return notices older than theirs."""

from django.conf import settings
from django.core.management.base import BaseCommand

from payments.services.personal_data import junk_notices_purge, personal_data_purge


class Command(BaseCommand):
    help = (
        "Efface les adresses électroniques des transactions et des retours TIPI plus anciens que la durée de "
        "conservation, et supprime les retours refusés ou mal formés plus anciens que la leur."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="durée de conservation en jours (par défaut PERSONAL_DATA_RETENTION_DAYS)",
        )
        parser.add_argument(
            "--junk-days",
            type=int,
            default=None,
            help="durée de conservation des retours refusés ou mal formés (par défaut RETURNS_JUNK_RETENTION_DAYS)",
        )

    def handle(self, *args, **options):
        # The junk first: no e-mail address is erased from a notice about to be deleted.
        junk_days = options["junk_days"] or settings.RETURNS_JUNK_RETENTION_DAYS
        deleted = junk_notices_purge(older_than_days=junk_days)
        self.stdout.write(f"{deleted} retour(s) refusé(s) ou mal formé(s) supprimé(s) (plus de {junk_days} jours).")
        days = options["days"] or settings.PERSONAL_DATA_RETENTION_DAYS
        transactions, notices = personal_data_purge(older_than_days=days)
        self.stdout.write(f"{transactions} transaction(s) et {notices} retour(s) anonymisés (plus de {days} jours).")
