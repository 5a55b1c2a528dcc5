"""TIPI clients, transactions and return notices in the admin console: read only (their
services own every change; the TIPI console at /gestion/tipi/ is where clients are edited)."""

from django.contrib import admin

from payments.models import ReturnNotice, TipiClient, Transaction
from tipiportal.admin import ReadOnlyAdmin


@admin.register(TipiClient)
class TipiClientAdmin(ReadOnlyAdmin):
    list_display = ["numcli", "label", "protocol", "mode", "state", "online_delay_days"]
    list_filter = ["protocol", "mode", "state"]
    search_fields = ["numcli", "label"]


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "client", "refdet", "amount_cents", "saisie", "state", "resultrans", "numauto"]
    list_filter = ["state", "saisie", "client"]
    search_fields = ["refdet", "token", "numauto"]
    readonly_fields = [f.name for f in Transaction._meta.fields]


@admin.register(ReturnNotice)
class ReturnNoticeAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "outcome", "resultrans", "remote_addr", "transaction"]
    list_filter = ["outcome", "resultrans"]
    search_fields = ["detail", "transaction__refdet"]
    readonly_fields = [
        "received_at",
        "body_text",
        "content_type",
        "headers",
        "remote_addr",
        "outcome",
        "detail",
        "flags",
        "transaction",
        "resultrans",
        "processed_at",
    ]
    exclude = ["body"]
