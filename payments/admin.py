"""TIPI clients, transactions and return notices in the admin console: read only (their
services own every change; the TIPI console at /gestion/tipi/ is where clients are edited)."""

from django.contrib import admin

from payments.models import PayfipCheck, PayfipMessage, ReturnNotice, TipiClient, Transaction
from payments.tipi import RESULTRANS_VALUES, resultrans_label
from tipiportal.admin import ReadOnlyAdmin

_UNKNOWN = "unknown"


class ResultransFilter(admin.SimpleListFilter):
    """RESULTRANS by its meaning (card or debit), and the codes the portal does not know."""

    title = "RESULTRANS"
    parameter_name = "resultrans"

    def lookups(self, request, model_admin):
        return [(code, f"{code} – {resultrans_label(code)}") for code in RESULTRANS_VALUES] + [
            (_UNKNOWN, "Code inconnu (à vérifier)")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == _UNKNOWN:
            return queryset.exclude(resultrans="").exclude(resultrans__in=RESULTRANS_VALUES)
        if value in RESULTRANS_VALUES:
            return queryset.filter(resultrans=value)
        return queryset


@admin.display(description="résultat", ordering="resultrans")
def result_label(obj) -> str:
    return resultrans_label(obj.resultrans)


@admin.register(TipiClient)
class TipiClientAdmin(ReadOnlyAdmin):
    list_display = ["numcli", "label", "protocol", "mode", "state", "online_delay_days"]
    list_filter = ["protocol", "mode", "state"]
    search_fields = ["numcli", "label"]


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "client", "refdet", "amount_cents", "saisie", "state", result_label, "numauto"]
    list_filter = ["state", ResultransFilter, "saisie", "client"]
    search_fields = ["refdet", "token", "numauto", "idop"]
    readonly_fields = [f.name for f in Transaction._meta.fields]


@admin.register(ReturnNotice)
class ReturnNoticeAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "outcome", result_label, "remote_addr", "transaction"]
    list_filter = ["outcome", ResultransFilter]
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


@admin.register(PayfipMessage)
class PayfipMessageAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "kind", "outcome", "idop", "remote_addr", "transaction"]
    list_filter = ["kind", "outcome"]
    search_fields = ["idop", "transaction__refdet"]
    readonly_fields = [
        "received_at",
        "kind",
        "method",
        "body_text",
        "query_string",
        "content_type",
        "headers",
        "remote_addr",
        "idop",
        "outcome",
        "transaction",
    ]
    exclude = ["body"]


@admin.register(PayfipCheck)
class PayfipCheckAdmin(ReadOnlyAdmin):
    list_display = ["at", "transaction", "trigger", "outcome", "resultrans", "fault_code"]
    list_filter = ["trigger", "outcome"]
    search_fields = ["transaction__refdet", "transaction__idop", "detail"]
