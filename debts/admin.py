from django.contrib import admin

from debts.models import Debt


@admin.register(Debt)
class DebtAdmin(admin.ModelAdmin):
    list_display = ["refdet", "client", "debtor_name", "amount_cents", "state", "online_from", "online_until"]
    list_filter = ["state", "client"]
    search_fields = ["refdet", "debtor_name", "debtor_ref"]
    date_hierarchy = "online_from"
