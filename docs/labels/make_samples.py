"""Render the sample batch labels in this folder, both sizes at 203 and 300 dpi.

Run from the project root: ``.venv/bin/python docs/labels/make_samples.py``.
The resolver host is an example; real labels carry TRACE_RESOLVER_BASE_URL.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # our `trace` package, not the standard library's

from trace.guard import ensure_project_trace  # noqa: E402

ensure_project_trace()

from suppliers.labels import label_font  # noqa: E402
from trace.digital_link import build_digital_link  # noqa: E402
from trace.labels import DPIS, LABEL_SIZES, LabelContent, render_label_png  # noqa: E402

SAMPLE = LabelContent(
    uri=build_digital_link("https://trace.example.cn", "6970000000017", "20250901-A2",
                           production=date(2025, 9, 1), expiry=date(2025, 9, 8)),
    product_name="大白菜（精品）",
    supplier_name="章丘区明水绿源蔬菜专业合作社",
    lot="20250901-A2",
    production_date=date(2025, 9, 1),
    expiry_date=date(2025, 9, 8),
    storage_condition="冷藏 0–8℃",
    quantity_text="20 kg",
)


def main() -> None:
    font = label_font()
    out = Path(__file__).resolve().parent
    for size in LABEL_SIZES:
        for dpi in DPIS:
            path = out / f"sample-{size}-{dpi}dpi.png"
            path.write_bytes(render_label_png(SAMPLE, size=size, dpi=dpi, font_path=font))
            print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
