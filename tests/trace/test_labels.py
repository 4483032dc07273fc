"""Batch labels: each decodes, with a real QR decoder, to exactly its batch's Digital
Link at both sizes and both resolutions; Chinese prints as real glyphs; A4 sheets
paginate; a missing font is a clear error."""

from __future__ import annotations

import io
import os
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageFont

import trace.labels as labels
from trace.digital_link import build_digital_link
from trace.errors import DomainError, Invalid
from trace.labels import (
    DPIS,
    LABEL_SIZES,
    LabelContent,
    draws_chinese,
    find_cjk_font,
    label_pixels,
    render_label_png,
    render_label_sheet_pdf,
    sheet_grid,
)

zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the labels")

SIZES_AND_DPIS = [(size, dpi) for size in sorted(LABEL_SIZES) for dpi in DPIS]

CONTENT = LabelContent(
    uri=build_digital_link("https://trace.zhangqiu.example", "6970000000116", "MS251101/A%",
                           production=date(2025, 11, 1), expiry=date(2026, 10, 31)),
    product_name="东北大米（粳米）", supplier_name="示例章丘明泉粮油有限公司", lot="MS251101/A%",
    production_date=date(2025, 11, 1), expiry_date=date(2026, 10, 31), storage_condition="常温",
    quantity_text="25 kg",
)
LONG = replace(
    CONTENT, product_name="山东章丘大葱（有机认证·一级·带泥）鲜品特供" * 2,
    supplier_name="济南市章丘区明水街道绿源蔬菜种植专业合作社有限公司", lot="ABCDEFGHIJ0123456789",
    uri=build_digital_link("https://trace.zhangqiu.example/resolver", "6970000000116",
                           "ABCDEFGHIJ0123456789", production=date(2025, 11, 1), expiry=date(2026, 10, 31)),
    storage_condition="冷冻 -18℃ 以下", quantity_text="1200 kg",
)


def cjk_font_or_skip() -> Path:
    """The CJK font, or a skip on a machine without one; in CI (TRACE_NO_SKIP=1) a failure."""
    try:
        return find_cjk_font(os.environ.get("TRACE_CJK_FONT"))
    except DomainError as missing:
        reason = f"no CJK font to draw labels with: {missing.en}"
        if os.environ.get("TRACE_NO_SKIP") == "1":
            pytest.fail(f"required in CI (TRACE_NO_SKIP=1): {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def font() -> Path:
    return cjk_font_or_skip()


def png(content: LabelContent, size: str, dpi: int, font: Path) -> Image.Image:
    return Image.open(io.BytesIO(render_label_png(content, size=size, dpi=dpi, font_path=font)))


def qr_of(image: Image.Image):
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, found
    return found[0]


# --- PNG labels ------------------------------------------------------------------------


def test_label_sizes_match_the_printers_dots():
    assert {(size, dpi): label_pixels(size, dpi) for size, dpi in SIZES_AND_DPIS} == {
        ("40x30", 203): (320, 240), ("40x30", 300): (472, 354),
        ("60x40", 203): (480, 320), ("60x40", 300): (709, 472),
    }


@pytest.mark.parametrize(("size", "dpi"), SIZES_AND_DPIS)
def test_the_png_is_exactly_the_label_size_with_its_dpi_recorded(font, size, dpi):
    image = png(CONTENT, size, dpi, font)
    assert image.size == label_pixels(size, dpi)
    assert tuple(round(d) for d in image.info["dpi"]) == (dpi, dpi)


@pytest.mark.parametrize(("size", "dpi"), SIZES_AND_DPIS)
def test_the_png_is_pure_black_and_white_for_thermal_heads(font, size, dpi):
    assert png(CONTENT, size, dpi, font).mode == "1"


@pytest.mark.parametrize(("size", "dpi"), SIZES_AND_DPIS)
def test_the_qr_decodes_to_exactly_the_batch_uri(font, size, dpi):
    code = qr_of(png(CONTENT, size, dpi, font))
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == CONTENT.uri


@pytest.mark.parametrize(("size", "dpi"), SIZES_AND_DPIS)
def test_the_longest_lot_and_a_base_path_still_decode(font, size, dpi):
    assert qr_of(png(LONG, size, dpi, font)).text == LONG.uri


def test_the_qr_uses_error_correction_level_m(font):
    assert qr_of(png(CONTENT, "40x30", 203, font)).ec_level == "M"


@pytest.mark.parametrize(("size", "dpi"), SIZES_AND_DPIS)
def test_qr_modules_are_whole_dots_inside_a_white_four_module_quiet_zone(font, size, dpi):
    image = png(CONTENT, size, dpi, font)
    code = qr_of(image)
    modules = 17 + 4 * int(code.extra["Version"])
    left, top = code.position.top_left.x, code.position.top_left.y
    side = code.position.top_right.x - left
    module, remainder = divmod(side, modules)
    assert remainder == 0 and module >= 2
    quiet = 4 * module  # ISO/IEC 18004 asks for four modules
    zone = (left - quiet, top - quiet, left + side + quiet, top + side + quiet)
    assert zone[0] >= 0 and zone[1] >= 0 and zone[2] <= image.width and zone[3] <= image.height
    ring = image.crop(zone).convert("L")
    ring.paste(255, (quiet, quiet, quiet + side, quiet + side))
    assert ring.getextrema() == (255, 255)


@pytest.mark.parametrize(("size", "dpi"), SIZES_AND_DPIS)
def test_long_names_never_run_off_the_label(font, size, dpi):
    image = png(LONG, size, dpi, font).convert("L")
    edge = round(1.0 / 25.4 * dpi)  # inside the 1.5 mm margin
    right = (image.width - edge, 0, image.width, image.height)
    top = (0, 0, image.width, edge)
    bottom = (0, image.height - edge, image.width, image.height)
    for strip in (right, top, bottom):
        assert image.crop(strip).getextrema() == (255, 255), strip


def test_an_unsupported_size_or_resolution_is_refused(font):
    for size, dpi in [("100x50", 203), ("40x30", 600)]:
        with pytest.raises(Invalid) as refused:
            render_label_png(CONTENT, size=size, dpi=dpi, font_path=font)
        assert refused.value.code == "label_size_unsupported"


def test_a_link_too_long_for_a_scannable_qr_is_refused(font):
    content = replace(CONTENT, uri="https://trace.zhangqiu.example/" + "x" * 1500)
    with pytest.raises(Invalid) as refused:
        render_label_png(content, size="40x30", dpi=203, font_path=font)
    assert refused.value.code == "label_too_small"


# --- Chinese glyphs ----------------------------------------------------------------------


def test_the_font_has_a_real_glyph_for_pi_not_its_notdef_box(font):
    face = ImageFont.truetype(str(font), 48)
    notdef = face.getmask("\ue000")  # a private-use code point: drawn as the .notdef box
    for character in "批号贮存":
        glyph = face.getmask(character)
        assert glyph.getbbox() is not None
        assert (glyph.size, bytes(glyph)) != (notdef.size, bytes(notdef)), character


def test_a_font_without_chinese_is_recognised_as_printing_boxes():
    assert not draws_chinese(ImageFont.load_default(size=32))


def test_the_label_prints_the_glyph_for_pi_not_a_box(font):
    with_glyph = png(replace(CONTENT, product_name="批批批"), "60x40", 300, font)
    with_box = png(replace(CONTENT, product_name="\ue000\ue000\ue000"), "60x40", 300, font)
    assert with_glyph.tobytes() != with_box.tobytes()


# --- finding the font --------------------------------------------------------------------


def test_a_configured_font_is_used(font, tmp_path):
    configured = tmp_path / "配置的字体.ttc"
    configured.symlink_to(font)
    assert find_cjk_font(str(configured)) == configured


def test_a_missing_configured_font_falls_back_to_a_system_font(font, tmp_path):
    assert find_cjk_font(tmp_path / "nope.ttc") == find_cjk_font(None)


def test_no_font_at_all_is_a_clear_503_naming_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(labels, "FONT_CANDIDATES", ())
    with pytest.raises(DomainError) as missing:
        find_cjk_font(tmp_path / "nope.ttc")
    assert missing.value.code == "cjk_font_missing" and missing.value.status == 503
    assert "fonts-noto-cjk" in missing.value.zh and "TRACE_CJK_FONT" in missing.value.zh
    assert "fonts-noto-cjk" in missing.value.en and "TRACE_CJK_FONT" in missing.value.en


# --- A4 sheets ---------------------------------------------------------------------------


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_an_a4_sheet_holds_21_labels_of_60x40_or_45_of_40x30():
    assert sheet_grid("60x40") == (3, 7)
    assert sheet_grid("40x30") == (5, 9)


def test_thirty_labels_of_60x40_make_a_two_page_pdf(font):
    pdf = render_label_sheet_pdf([CONTENT] * 30, font_path=font)
    assert pdf.startswith(b"%PDF-")
    assert pages(pdf) == 2


@pytest.mark.parametrize(("count", "expected"), [(1, 1), (45, 1), (46, 2), (91, 3)])
def test_labels_of_40x30_fill_pages_of_45(font, count, expected):
    assert pages(render_label_sheet_pdf([CONTENT] * count, font_path=font, size="40x30")) == expected


def test_an_empty_sheet_is_refused(font):
    with pytest.raises(Invalid) as refused:
        render_label_sheet_pdf([], font_path=font)
    assert refused.value.code == "no_labels"
