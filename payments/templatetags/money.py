"""Display of integer cents as French euros: 3808 → « 38,08 € »."""

from django import template

from tipiportal.money import format_euros

register = template.Library()


@register.filter
def euros(cents: int | None) -> str:
    return "" if cents is None else format_euros(cents)
