"""The authority's colour, checked when the settings load: pure Python, no Django.

The colour is the site's one accent (header rule, titles, links, buttons with white text), so it
must keep RGAA's 4.5:1 contrast against white; a value that does not is refused at start rather
than published.
"""

import re

_HEX = re.compile(r"#[0-9a-fA-F]{6}")
MIN_CONTRAST = 4.5


def _luminance(colour: str) -> float:
    """WCAG 2's relative luminance of a #rrggbb colour."""
    channels = []
    for start in (1, 3, 5):
        value = int(colour[start : start + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_with_white(colour: str) -> float:
    """The contrast ratio of a #rrggbb colour against white (1 to 21)."""
    return 1.05 / (_luminance(colour) + 0.05)


def authority_colour_problem(colour: str) -> str | None:
    """Why this AUTHORITY_COLOR cannot be used, or None when it can."""
    if not _HEX.fullmatch(colour):
        return f"AUTHORITY_COLOR must be a colour written #rrggbb, not {colour!r}."
    ratio = contrast_with_white(colour)
    if ratio < MIN_CONTRAST:
        return f"AUTHORITY_COLOR {colour} has a contrast of {ratio:.2f}:1 with white, under RGAA's {MIN_CONTRAST}:1."
    return None
