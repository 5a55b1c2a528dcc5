"""Display of integer cents as French euros: 3808 → « 38,08 € »."""

from django import template

register = template.Library()


@register.filter
def euros(cents: int | None) -> str:
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    euros_part, cents_part = divmod(abs(int(cents)), 100)
    grouped = f"{euros_part:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{cents_part:02d}\u00a0€"
