"""Remove a staff member's second-factor devices (a lost phone), for when no other administrator
can do it from /gestion/securite/appareils/."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from staff.auth.services import staff_otp_reset


class Command(BaseCommand):
    help = "Réinitialise la double authentification d'un membre du personnel (téléphone perdu)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        member = get_user_model().objects.filter(username=username, is_staff=True).first()
        if member is None:
            raise CommandError(f"Aucun membre du personnel « {username} ».")
        removed = staff_otp_reset(user=member)
        self.stdout.write(
            f"{username} : {removed} appareil(s) retiré(s) ; prochaine connexion avec le mot de passe, puis enrôlement."
        )
