"""RESULTRANS in staff's words: ``{{ notice.resultrans|resultrans_label }}`` → « Payée par prélèvement »."""

from django import template

from payments.tipi import resultrans_label as label

register = template.Library()


@register.filter
def resultrans_label(code: str | None) -> str:
    return label(code or "")
