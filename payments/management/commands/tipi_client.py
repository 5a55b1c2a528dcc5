"""`manage.py tipi_client add|list`: the TIPI clients, for the IT department.

`add` creates a client, or updates the one with that NUMCLI (an option left out keeps its
value: the mode, the state, the console's "known debts only"). `list` prints one line per
client: NUMCLI, protocol, mode, state, delay, code recette, label.

`add` goes through the console's service (`tipi_client_save`): the same rules, the same row
lock and the same history. A client is created « Nouveau » (or « Inactif »): it becomes
active when TIPI answers its activation URL (SAISIE=X), never from here.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from payments.models import ClientProtocol, TipiClient
from payments.services.tipi_clients import tipi_client_save


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
        add.add_argument(
            "--mode",
            choices=[m.value for m in TipiClient.Mode],
            default=None,
            help="classic (URL aller, par défaut) ou webservice (web-service PayFiP, clients regie seulement)",
        )
        add.add_argument(
            "--state",
            choices=[s.value for s in TipiClient.State],
            default=None,
            help="new ou inactive ; active seulement pour réactiver un client inactif",
        )
        sub.add_parser("list", help="liste les clients TIPI")

    def handle(self, *args, **options):
        if options["action"] == "list":
            for client in TipiClient.objects.all():
                self.stdout.write(
                    f"{client.numcli}\t{client.protocol}\t{client.mode}\t{client.state}\t{client.online_delay_days} j\t"
                    f"{client.code_recette or '-'}\t{client.label}"
                )
            return
        existing = TipiClient.objects.filter(numcli=options["numcli"].strip()).first()
        try:
            client = tipi_client_save(
                user=None,  # no agent: the history shows the change as the system's
                client=existing,
                numcli=options["numcli"],
                protocol=options["protocol"],
                label=options["label"],
                online_delay_days=options["delay"],
                code_recette=options["code_recette"],
                # Not an option of the command: an update keeps what the console set.
                accept_only_known_debts=existing.accept_only_known_debts if existing else False,
                mode=options["mode"] or (existing.mode if existing else TipiClient.Mode.CLASSIC),
                state=options["state"] or (existing.state if existing else TipiClient.State.NEW),
            )
        except ValidationError as exc:
            raise CommandError(" ; ".join(f"{k} : {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        self.stdout.write(self.style.SUCCESS(f"Client TIPI {client.numcli} enregistré ({client.get_state_display()})."))
