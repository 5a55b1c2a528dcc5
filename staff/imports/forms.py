"""The upload form of a debt file."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from debts.models import ImportBatch
from payments.models import TipiClient

# Overridable in settings; the web server's own body limit (nginx client_max_body_size) must allow it too.
DEFAULT_IMPORT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024

ENCODINGS = [
    ("", "Détection automatique (recommandé)"),
    ("utf-8", "UTF-8"),
    ("iso-8859-15", "ISO-8859-15 (Latin-9)"),
    ("iso-8859-1", "ISO-8859-1 (Latin-1)"),
    ("cp1252", "Windows-1252"),
]

MODE_HELP = {
    ImportBatch.Mode.COMPLETE: "Si une seule ligne est incorrecte, en double ou en conflit avec une dette déjà "
    "détenue, aucune dette du fichier n'est importée : corrigez le fichier puis importez-le de nouveau.",
    ImportBatch.Mode.PARTIAL: "Les lignes correctes sont importées ; les lignes en anomalie sont écartées et "
    "listées dans le compte rendu, pour être corrigées et envoyées dans un autre fichier.",
}


def import_max_upload_bytes() -> int:
    return getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", DEFAULT_IMPORT_MAX_UPLOAD_BYTES)


def _size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} Mo"
    return f"{max(1, size // 1024)} Ko"


class ClientSelect(forms.Select):
    """Each client's option carries the file format of its protocol, for staff.js."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-format"] = ImportBatch.format_for(instance)
        return option


def mode_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Mode d'import",
        choices=ImportBatch.Mode.choices,
        initial=ImportBatch.Mode.COMPLETE,
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez le mode d'import."},
    )


class ModeOptions:
    """The mode's radio buttons, each with its French explanation (templates/staff/imports/_mode.html)."""

    def mode_options(self):
        return [(radio, MODE_HELP.get(radio.data["value"], "")) for radio in self["mode"]]


class ImportModeForm(ModeOptions, forms.Form):
    """After a dry run: the same file again, in the mode chosen now."""

    mode = mode_field()


class ImportUploadForm(ModeOptions, forms.Form):
    client = forms.ModelChoiceField(
        label="Client TIPI",
        queryset=TipiClient.objects.order_by("label"),
        empty_label="Choisissez le client TIPI",
        widget=ClientSelect,
        error_messages={"required": "Choisissez le client TIPI.", "invalid_choice": "Ce client TIPI n'existe pas."},
    )
    fmt = forms.ChoiceField(
        label="Format du fichier",
        choices=[("", "Celui du protocole du client")] + list(ImportBatch.Format.choices),
        required=False,
        help_text="Par défaut, le format du protocole du client (un client, un protocole).",
    )
    mode = mode_field()
    file = forms.FileField(
        label="Fichier",
        error_messages={
            "required": "Choisissez le fichier à importer.",
            "empty": "Le fichier envoyé est vide.",
            "invalid": "Aucun fichier n'a été reçu : choisissez-le de nouveau.",
        },
    )
    encoding = forms.ChoiceField(
        label="Encodage des caractères",
        choices=ENCODINGS,
        required=False,
        help_text="Laissez la détection automatique, sauf si le compte rendu vous demande de préciser l'encodage.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = import_max_upload_bytes()
        self.fields["file"].help_text = (
            f"INDIGO ou ROLMRE (largeur fixe) ou PES V2 Recette (XML), {_size_label(limit)} au plus. "
            "Le fichier est d'abord contrôlé à blanc : rien n'est importé avant votre confirmation."
        )
        clients = self.fields["client"].queryset
        if not self.is_bound and len(clients) == 1:
            self.initial.setdefault("client", clients[0].pk)
            self.initial.setdefault("fmt", ImportBatch.format_for(clients[0]))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = import_max_upload_bytes()
        if upload.size > limit:
            raise ValidationError(
                f"Le fichier est trop volumineux ({_size_label(upload.size)}) : {_size_label(limit)} au plus."
            )
        return upload

    def clean(self):
        data = super().clean()
        client = data.get("client")
        if client is not None and not data.get("fmt"):
            data["fmt"] = ImportBatch.format_for(client)
        return data
