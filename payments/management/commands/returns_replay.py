"""`manage.py returns_replay`: apply the return notices stored but not applied yet."""

from django.core.management.base import BaseCommand

from payments.returns import notices_replay


class Command(BaseCommand):
    help = "Applique les retours TIPI enregistrés mais pas encore traités (chacun une seule fois)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=60, help="secondes (défaut 60) : laisse les retours en cours")

    def handle(self, *args, **options):
        counts = notices_replay(older_than_seconds=options["older_than"])
        total = sum(counts.values())
        detail = ", ".join(f"{outcome} : {count}" for outcome, count in sorted(counts.items())) or "rien à faire"
        self.stdout.write(f"{total} retour(s) traité(s) ({detail}).")
