"""The citizen's forms: link a debtor reference, confirm a payment."""

from django import forms

from payments.models import TipiClient


class ServiceChoiceField(forms.ModelChoiceField):
    """The service by the name citizens know it by, not its NUMCLI."""

    def label_from_instance(self, obj: TipiClient) -> str:
        return obj.label


class ReferenceLinkForm(forms.Form):
    client = ServiceChoiceField(
        label="Service qui vous a envoyé la facture",
        queryset=TipiClient.objects.exclude(state=TipiClient.State.INACTIVE),
        empty_label=None,
        error_messages={"required": "Choisissez le service.", "invalid_choice": "Choisissez le service dans la liste."},
    )
    reference = forms.CharField(
        label="Référence débiteur",
        max_length=30,
        help_text="Telle qu'elle figure sur votre facture (rubrique « Vos références »).",
        error_messages={"required": "Ce champ est obligatoire."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    access_code = forms.CharField(
        label="Code d'accès",
        max_length=20,
        help_text="Le code de 10 caractères imprimé à côté de la référence.",
        error_messages={"required": "Ce champ est obligatoire."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.fields["client"].queryset.count() == 1:
            self.fields["client"].initial = self.fields["client"].queryset.first()


class PayConfirmForm(forms.Form):
    email = forms.EmailField(
        label="Adresse électronique pour le ticket de paiement",
        max_length=80,
        help_text="TIPI vous enverra le ticket de paiement à cette adresse.",
        error_messages={
            "invalid": "Saisissez une adresse électronique valide.",
            "required": "Ce champ est obligatoire.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
