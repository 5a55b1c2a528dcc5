"""`manage.py payfip_poll`: ask PayFiP about every web-service transaction whose check is due.

Run every minute by a timer (docs/deployment.md; `make run` runs it beside its worker). What is
due comes from the schedule (payments.services.payfip_schedule): every 5 minutes for 2 hours,
then hourly for 4 days; 30 minutes after PayFiP could not be reached. Without it, a payment
whose notification never comes would never be applied.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from payments.services.payfip_checks import POLL_BATCH, payfip_poll


class Command(BaseCommand):
    help = "Vérifie auprès de PayFiP les transactions en mode web-service dont la vérification est due."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=POLL_BATCH, help=f"au plus (défaut {POLL_BATCH})")

    def handle(self, *args, **options):
        try:
            counts = payfip_poll(limit=options["limit"])
        except DatabaseError as exc:
            raise CommandError(f"base de données injoignable (nouvel essai au prochain passage) : {exc}") from exc
        total = sum(counts.values())
        detail = ", ".join(f"{outcome} : {count}" for outcome, count in sorted(counts.items())) or "rien à faire"
        self.stdout.write(f"{total} vérification(s) PayFiP ({detail}).")
