"""AUTHORITY_COLOR is checked when the settings load: #rrggbb, 4.5:1 against white (RGAA)."""

import pytest

from tipiportal.branding import authority_colour_problem, contrast_with_white


def test_contrast_ratios_are_wcag_ones():
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#ffffff") == pytest.approx(1.0)
    assert contrast_with_white("#767676") == pytest.approx(4.54, abs=0.01)  # the classic 4.5:1 grey


@pytest.mark.parametrize("colour", ["#000091", "#6a1b3d", "#18753C"])
def test_dark_enough_colours_are_accepted(colour):
    assert authority_colour_problem(colour) is None


@pytest.mark.parametrize(
    ("colour", "why"),
    [
        ("#7f7f7f", "contrast of 4.00:1"),
        ("#ffcc00", "under RGAA's 4.5:1"),
        ("red", "#rrggbb"),
        ("#000091; } body { display: none", "#rrggbb"),  # nothing else reaches /theme.css
        ("#00009", "#rrggbb"),
    ],
)
def test_other_colours_are_refused(colour, why):
    assert why in authority_colour_problem(colour)
