"""`manage.py returns_replay`: store the spooled notices, apply the notices not applied yet.

Run every minute by a systemd timer (docs/deployment.md) on each web machine: the spool is
local to the machine whose web processes wrote it.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from payments.returns.replay import notices_replay, spool_ingest


class Command(BaseCommand):
    help = (
        "Enregistre en base les retours TIPI mis en attente sur disque (spool), puis applique les retours "
        "enregistrés mais pas encore traités (chacun une seule fois)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=int, default=60, help="secondes (défaut 60) : laisse les retours en cours"
        )

    def handle(self, *args, **options):
        try:
            ingest = spool_ingest()
            counts = notices_replay(older_than_seconds=options["older_than"], spool=False)
        except DatabaseError as exc:
            # The database is still away: the spool stays on disk, the next run retries.
            raise CommandError(
                f"base de données injoignable, rien n'est perdu (nouvel essai au prochain passage) : {exc}"
            ) from exc
        if ingest.files or ingest.busy:
            self.stdout.write(f"{ingest}.")
        total = sum(counts.values())
        detail = ", ".join(f"{outcome} : {count}" for outcome, count in sorted(counts.items())) or "rien à faire"
        self.stdout.write(f"{total} retour(s) traité(s) ({detail}).")
