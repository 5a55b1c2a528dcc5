"""`manage.py staff_user --role agent|administrator --username U --email E`: create a staff member."""

import getpass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tipiportal.roles import ADMINISTRATORS, AGENTS, staff_member_create

ROLES = {"agent": AGENTS, "administrator": ADMINISTRATORS}


class Command(BaseCommand):
    help = "Crée (ou met à jour) un agent ou un administrateur du portail."

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, choices=list(ROLES))
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", help="sinon demandé au clavier")

    def handle(self, *args, **options):
        password = options["password"] or getpass.getpass("Mot de passe : ")
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        user = staff_member_create(
            username=options["username"], email=options["email"], password=password, role=ROLES[options["role"]]
        )
        self.stdout.write(self.style.SUCCESS(f"{user.username} : {ROLES[options['role']]}"))
