"""Console forms (administrators): a TIPI client's configuration, a test or activation URL.

The forms only read the input; the rules (NUMCLI, delay, code recette, states) are the
services' (`tipi_client_save`, `tipi_client_attempt_start`), whose errors the views attach
to these fields.
"""

from django import forms

from payments.models import ClientProtocol, TipiClient, Transaction

REQUIRED = "Ce champ est obligatoire."


def _describe_by_help(form: forms.Form) -> None:
    """Tie each field to its help text (shown by the templates as `<id>_aide`) for screen readers."""
    for name, field in form.fields.items():
        if field.help_text:
            field.widget.attrs["aria-describedby"] = f"id_{name}_aide"


class ClientForm(forms.Form):
    numcli = forms.CharField(
        label="Numéro client TIPI (NUMCLI)",
        help_text="Les 6 chiffres communiqués par la DGFiP.",
        error_messages={"required": REQUIRED},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 6}),
    )
    protocol = forms.ChoiceField(
        label="Protocole",
        choices=[("", "Choisissez le protocole")] + list(ClientProtocol.choices),
        help_text="Un client TIPI, un protocole : celui des fichiers de dettes qu'il publie.",
        error_messages={
            "required": "Choisissez le protocole du client.",
            "invalid_choice": "Ce protocole n'existe pas.",
        },
    )
    label = forms.CharField(
        label="Libellé",
        help_text="Le service, tel que les usagers le connaissent (par exemple « Restauration scolaire »).",
        error_messages={"required": REQUIRED},
    )
    online_delay_days = forms.IntegerField(
        label="Délai de mise en ligne (jours)",
        help_text="Entre 10 et 360 jours : combien de temps une dette reste payable en ligne après sa prise en charge.",
        error_messages={"required": REQUIRED, "invalid": "Saisissez un nombre de jours, par exemple 60."},
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "size": 4}),
    )
    code_recette = forms.CharField(
        label="Code recette (ROLMRE)",
        required=False,
        help_text="Clients ROLMRE seulement : les 2 caractères (ROLREC) de son contrat, qui complètent la "
        "référence d'une facture d'eau saisie à la main. Laissez vide pour les autres protocoles.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 2}),
    )
    accept_only_known_debts = forms.BooleanField(
        label="N'accepter que les dettes connues du portail",
        required=False,
        help_text="Le formulaire de saisie manuelle refuse alors une référence que le portail ne détient pas.",
    )
    mode = forms.ChoiceField(
        label="Mode de paiement",
        choices=TipiClient.Mode.choices,
        initial=TipiClient.Mode.CLASSIC,
        help_text="L'URL aller classique pour tous les protocoles ; le web-service PayFiP (SAISIE W), dont le "
        "portail demande lui-même le résultat à PayFiP, pour un client « Régie » seulement.",
        error_messages={
            "required": "Choisissez le mode de paiement.",
            "invalid_choice": "Ce mode de paiement n'existe pas.",
        },
    )
    state = forms.ChoiceField(
        label="État",
        help_text="Un client « Nouveau » devient « Actif » au retour de son URL d'activation (SAISIE=X), jamais à "
        "la main. À la main, seuls les passages entre « Nouveau » et « Inactif », ou entre « Actif » et "
        "« Inactif », sont possibles.",
        error_messages={
            "required": "Choisissez l'état du client.",
            "invalid_choice": "Cet état ne peut pas être choisi à la main pour ce client.",
        },
    )

    def __init__(self, *args, state_choices: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [(state, TipiClient.State(state).label) for state in state_choices]
        _describe_by_help(self)

    @classmethod
    def initial_for(cls, client: TipiClient) -> dict:
        return {name: getattr(client, name) for name in cls.base_fields}


class AttemptForm(forms.Form):
    saisie = forms.ChoiceField(
        label="URL à construire",
        choices=[
            (Transaction.Saisie.TEST, "URL de test (SAISIE=T) : possible à tout moment, même après l'activation"),
            (
                Transaction.Saisie.ACTIVATION,
                "URL d'activation (SAISIE=X) : une fois, tant que le client est « Nouveau »",
            ),
        ],
        initial=Transaction.Saisie.TEST,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez le type d'URL.",
            "invalid_choice": "Choisissez le test ou l'activation.",
        },
    )
    email = forms.EmailField(
        label="Adresse électronique du testeur (MEL)",
        max_length=80,
        help_text="TIPI y envoie le ticket du paiement de test.",
        error_messages={"required": REQUIRED, "invalid": "Saisissez une adresse électronique valide."},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    with_return_url = forms.BooleanField(
        label="Avec l'adresse de retour du portail (URLCL)",
        required=False,
        initial=True,
        help_text="Sans URLCL, TIPI n'envoie aucun retour au portail : l'essai reste « en attente » et, pour une "
        "activation, le client reste « Nouveau » sur le portail.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _describe_by_help(self)
