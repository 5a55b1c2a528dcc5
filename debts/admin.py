"""Debts in the admin console: read only (cancel, mark paid and reconcile are staff pages)."""

from django.contrib import admin

from debts.models import Debt
from tipiportal.admin import ReadOnlyAdmin


@admin.register(Debt)
class DebtAdmin(ReadOnlyAdmin):
    list_display = ["refdet", "client", "debtor_name", "amount_cents", "state", "online_from", "online_until"]
    list_filter = ["state", "client"]
    search_fields = ["refdet", "debtor_name", "debtor_ref"]
    date_hierarchy = "online_from"
