"""`manage.py purge_import_files`: delete the received copies of debt files kept past the retention period."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from debts.services.imports import import_files_purge


class Command(BaseCommand):
    help = (
        "Supprime les copies des fichiers de dettes reçus plus anciennes que la durée de conservation "
        "(essais à blanc jamais confirmés ou en échec, dépôts interrompus), jamais celle d'un import en attente "
        "ou en cours."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=None,
            help="durée de conservation en jours (par défaut IMPORT_FILES_RETENTION_DAYS)",
        )

    def handle(self, *args, **options):
        days = options["older_than_days"]
        if days is None:
            days = settings.IMPORT_FILES_RETENTION_DAYS
        if days < 1:
            raise CommandError("La durée de conservation doit être d'au moins 1 jour.")
        deleted = import_files_purge(older_than_days=days)
        self.stdout.write(f"{deleted} fichier(s) reçu(s) supprimé(s) (plus de {days} jours).")
