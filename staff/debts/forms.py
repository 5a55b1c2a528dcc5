"""The debts list filters and the reason of an action on a debt."""

from django import forms

from debts.models import Debt
from debts.selectors import ONLINE_FILTERS
from payments.models import TipiClient


class DebtFilterForm(forms.Form):
    """The debts list's filters (GET). Every field is optional."""

    client = forms.ModelChoiceField(
        label="Client TIPI", queryset=TipiClient.objects.order_by("label"), required=False, empty_label="Tous"
    )
    state = forms.ChoiceField(label="État", choices=[("", "Tous")] + list(Debt.State.choices), required=False)
    online = forms.ChoiceField(
        label="Paiement en ligne", choices=[("", "Toutes")] + list(ONLINE_FILTERS.items()), required=False
    )
    debtor_ref = forms.CharField(label="Référence du débiteur", max_length=30, required=False)
    q = forms.CharField(
        label="Recherche",
        max_length=100,
        required=False,
        help_text="Une partie de la référence de la dette (REFDET) ou du nom du débiteur, majuscules et accents indifférents.",
    )

    def filters(self) -> dict:
        """The filters for debts_for_staff; an invalid value filters nothing rather than everything."""
        self.is_valid()  # a field with an invalid value is left out of cleaned_data
        data = self.cleaned_data
        return {
            "client": data.get("client"),
            "state": data.get("state") or "",
            "online": data.get("online") or "",
            "debtor_ref": (data.get("debtor_ref") or "").strip(),
            "search": (data.get("q") or "").strip(),
        }


class DebtActionForm(forms.Form):
    reason = forms.CharField(
        label="Motif",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=2000,
        help_text="Obligatoire : il est conservé dans l'historique de la dette, avec votre nom et la date.",
        error_messages={"required": "Indiquez le motif : il est conservé dans l'historique de la dette."},
    )
