"""THE conversions between integer cents and euros as French people read and write them.

Money is integer cents everywhere in the portal; euros exist only at the edges: a typed amount
("38,08") parsed here, an amount shown ("1 234,56 €") formatted here, a Decimal for exports
and documents made here. Pure Python (no Django): the PDF and chart builders use it too.
"""

import re
from decimal import Decimal

NARROW_NBSP = "\u202f"  # the French thousands separator
NBSP = "\u00a0"  # before the € sign; also the separator for fonts without U+202F (PDF standard fonts)
_TYPED = re.compile(r"^(\d+)(?:[,.](\d{1,2}))?$")
_SPACES = re.compile(r"[\s\u00a0\u202f]")


def parse_euros(text: str, *, max_units_digits: int = 9) -> int:
    """« 38,08 », « 38.08 », « 38 », « 1 234,5 », « 12 € » → cents, exactly (no float).

    Raises ValueError for anything else: a third decimal, a sign, letters, more than
    `max_units_digits` digits of euros. Only ASCII digits count (``\\d`` would take others).
    """
    compact = _SPACES.sub("", text or "").removesuffix("€")
    match = _TYPED.match(compact) if compact.isascii() else None
    if not match or len(match.group(1)) > max_units_digits:
        raise ValueError(text)
    units, decimals = match.groups()
    return int(units) * 100 + int((decimals or "0").ljust(2, "0"))


def format_euros(cents: int, *, with_cents: bool = True, thousands: str = NARROW_NBSP) -> str:
    """3808 → « 38,08 € »; 123456700 → « 1 234 567,00 € »; with_cents=False → « 1 234 567 € »
    (the cents dropped, for chart axes)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    text = f"{units:,}".replace(",", thousands)
    if with_cents:
        text += f",{rest:02d}"
    return f"{sign}{text}{NBSP}€"


def euros_decimal(cents: int) -> Decimal:
    """3808 → Decimal('38.08'): for spreadsheets (a number, not text) and Chorus Pro's amounts."""
    return Decimal(int(cents)).scaleb(-2)
