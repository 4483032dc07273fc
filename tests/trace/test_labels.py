"""Labels decode, with a real QR decoder, to exactly their batch's Digital Link, at
both sizes and both resolutions, and print Chinese as real glyphs."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.conftest import skip_or_fail
from trace.errors import DomainError
from trace.labels import DPIS, LABEL_SIZES, LabelContent, find_cjk_font, label_pixels, render_label_png, render_label_sheet_pdf

zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the labels")

CONTENT = LabelContent(
    uri="http://127.0.0.1:8000/01/06970000000116/10/MS251101A", product_name="东北大米（粳米）",
    supplier_name="示例章丘明泉粮油有限公司", lot="MS251101A", production_date=date(2025, 11, 1),
    expiry_date=date(2026, 10, 31), storage_condition="常温",
)


@pytest.fixture(scope="module")
def font():
    try:
        return find_cjk_font(None)
    except DomainError as missing:
        skip_or_fail(f"no CJK font installed: {missing.en}")


@pytest.mark.parametrize("size", sorted(LABEL_SIZES))
@pytest.mark.parametrize("dpi", DPIS)
def test_each_label_decodes_to_exactly_its_batch_uri(font, size, dpi):
    image = Image.open(io.BytesIO(render_label_png(CONTENT, size=size, dpi=dpi, font_path=font)))
    assert image.size == label_pixels(size, dpi)
    assert round(image.info["dpi"][0]) == dpi
    decoded = zxingcpp.read_barcodes(image)
    assert [(r.format.name, r.text) for r in decoded] == [("QRCode", CONTENT.uri)]


def test_label_sizes_match_the_printers_at_their_resolutions():
    assert label_pixels("40x30", 203) == (320, 240)
    assert label_pixels("60x40", 300) == (709, 472)


def test_a_long_uri_still_decodes_on_the_small_label(font):
    content = LabelContent(**{**CONTENT.__dict__, "uri": CONTENT.uri.replace("MS251101A", "ABCDEFGHIJ0123456789")})
    image = Image.open(io.BytesIO(render_label_png(content, size="40x30", dpi=203, font_path=font)))
    assert zxingcpp.read_barcodes(image)[0].text == content.uri


def test_the_font_draws_chinese_glyphs_not_boxes(font):
    face = ImageFont.truetype(str(font), 32, index=2 if font.suffix == ".ttc" else 0)

    def glyph(character: str) -> bytes:
        image = Image.new("L", (40, 40), 0)
        ImageDraw.Draw(image).text((0, 0), character, font=face, fill=255)
        return image.tobytes()

    missing = glyph("\ue000")  # a private-use code point: the font's .notdef box
    assert glyph("批") != missing and glyph("号") != missing
    assert glyph("批") != glyph("号")


def test_a_missing_font_is_a_clear_error_naming_the_fix(tmp_path, monkeypatch):
    import trace.labels as labels

    monkeypatch.setattr(labels, "FONT_CANDIDATES", ())
    with pytest.raises(DomainError) as missing:
        find_cjk_font(tmp_path / "nope.ttc")
    assert missing.value.code == "cjk_font_missing"
    assert "fonts-noto-cjk" in missing.value.zh and "TRACE_CJK_FONT" in missing.value.en


def test_a_sheet_of_thirty_labels_is_a_two_page_a4_pdf(font):
    pdf = render_label_sheet_pdf([CONTENT] * 30, font_path=font)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 2  # 21 labels of 60×40 mm fit on one A4 page
