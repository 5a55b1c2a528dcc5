"""What the Django admin console may do with the models that services own."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, searched and filtered, never added, changed or deleted: their states change only
    through their services (row locked, audited), from the staff pages or TIPI's returns."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
