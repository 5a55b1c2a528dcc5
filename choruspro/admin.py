"""Chorus Pro in the admin console: raw data, read only (the staff pages at /gestion/chorus-pro/
are where work is done, through the services)."""

from django.contrib import admin

from choruspro.models import ChorusInvoice, ChorusStatusEvent, PublicBody
from tipiportal.admin import ReadOnlyAdmin


@admin.register(PublicBody)
class PublicBodyAdmin(ReadOnlyAdmin):
    list_display = ("debtor", "siret", "structure_name", "service_code_required", "engagement_required", "source")
    search_fields = ("debtor__reference", "siret", "structure_name")
    raw_id_fields = ("debtor", "marked_by")


class StatusInline(admin.TabularInline):
    model = ChorusStatusEvent
    extra = 0
    readonly_fields = ("status", "at", "comment", "recorded_at")
    can_delete = False


@admin.register(ChorusInvoice)
class ChorusInvoiceAdmin(ReadOnlyAdmin):
    list_display = ("number", "debt", "environment", "state", "chorus_status", "created_at")
    list_filter = ("environment", "state", "chorus_status")
    search_fields = ("number", "debt__refdet", "recipient_siret")
    exclude = ("pdf",)
    raw_id_fields = ("debt", "public_body", "batch", "created_by")
    readonly_fields = ("chorus_id", "attachment_id", "chorus_status", "chorus_status_at", "final", "payment_at")
    inlines = [StatusInline]
