"""Every tag colour of the palette has a chip style in app.css whose text reaches 4.5:1 on its background
(WCAG 2's contrast for normal text) in the light and in the dark theme, and a tag without a colour has one too."""

import re
from pathlib import Path

import pytest

from crm.services import tags

CSS = (Path(__file__).resolve().parent.parent / "crm" / "static" / "app.css").read_text(encoding="utf-8")


PAIR = r"light-dark\((#[0-9a-f]{6}),\s*(#[0-9a-f]{6})\)"


def chip_colours(key: str) -> dict[str, tuple[str, str]]:
    """The background and text colour of .tag-<key> in each theme (a rule of the two, each as
    light-dark(light, dark), as app.css writes them)."""
    rule = re.search(r"\.tag-" + key + r"\s*\{\s*background:\s*" + PAIR + r";\s*color:\s*" + PAIR + ";", CSS)
    assert rule, f".tag-{key} has no background and color in app.css"
    return {"light": (rule.group(1), rule.group(3)), "dark": (rule.group(2), rule.group(4))}


def luminance(colour: str) -> float:
    """Relative luminance of an sRGB colour written #rrggbb."""
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("key", [*tags.PALETTE, "none"])
def test_each_chip_colour_reads_at_4_5_to_1(key, theme):
    background, text = chip_colours(key)[theme]
    assert contrast(background, text) >= 4.5


def test_the_palette_keys_fit_the_column():
    assert all(len(key) <= 16 and key.isalpha() for key in tags.PALETTE) and "none" not in tags.PALETTE
