"""Draw the web app's icons (static/icons/*.png) once; the PNGs are committed.

The canteen's phones install the platform as an app (static/manifest.webmanifest): a green
tile in the site's accent colour (static/site.css ``--accent``) with 溯 (trace) on it.
Run from the project root: ``.venv/bin/python tools/make_app_icons.py`` (needs Noto Sans CJK).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ACCENT = "#0b6e4f"
FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def icon(size: int, *, maskable: bool) -> Image.Image:
    image = Image.new("RGB", (size, size), ACCENT) if maskable else Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if not maskable:
        draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 6, fill=ACCENT)
    # A maskable icon's safe zone is the middle 80 %: the glyph stays well inside it.
    font = ImageFont.truetype(str(FONT), int(size * (0.5 if maskable else 0.62)), index=2)  # index 2: SC
    draw.text((size / 2, size / 2), "溯", font=font, fill="white", anchor="mm")
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    icon(180, maskable=True).save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
