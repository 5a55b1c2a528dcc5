"""`manage.py tipi_client add|list`: the TIPI clients, for the IT department."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from payments.models import ClientProtocol, TipiClient


class Command(BaseCommand):
    help = "Ajoute ou liste les clients TIPI (numéro client, protocole, délai de mise en ligne)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="ajoute (ou met à jour) un client TIPI")
        add.add_argument("--numcli", required=True, help="numéro client TIPI, 6 chiffres")
        add.add_argument("--protocol", required=True, choices=[c.value for c in ClientProtocol])
        add.add_argument("--label", required=True, help="libellé (ex. « Restauration scolaire »)")
        add.add_argument("--delay", type=int, default=60, help="délai de mise en ligne en jours (10 à 360)")
        add.add_argument("--code-recette", default="", help="ROLMRE : code recette du contrat (2 caractères)")
        add.add_argument("--state", choices=[s.value for s in TipiClient.State], default=None)
        sub.add_parser("list", help="liste les clients TIPI")

    def handle(self, *args, **options):
        if options["action"] == "list":
            for client in TipiClient.objects.all():
                self.stdout.write(
                    f"{client.numcli}\t{client.protocol}\t{client.state}\t{client.online_delay_days} j\t"
                    f"{client.code_recette or '-'}\t{client.label}"
                )
            return
        client = TipiClient.objects.filter(numcli=options["numcli"]).first() or TipiClient(numcli=options["numcli"])
        client.protocol = options["protocol"]
        client.label = options["label"]
        client.online_delay_days = options["delay"]
        client.code_recette = options["code_recette"]
        if options["state"]:
            client.state = options["state"]
        try:
            client.full_clean()
        except ValidationError as exc:
            raise CommandError(" ; ".join(f"{k} : {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        client.save()
        self.stdout.write(self.style.SUCCESS(f"Client TIPI {client.numcli} enregistré ({client.get_state_display()})."))
