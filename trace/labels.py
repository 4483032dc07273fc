"""Batch labels: the batch's GS1 Digital Link as a QR code beside the facts a cook
checks at the kitchen door — pure rendering, no database.

PNGs are sized to the dot for 40×30 mm and 60×40 mm thermal labels at 203 or
300 dpi and drawn in pure black and white, because thermal heads print dots and
dithered greys blur small Chinese text. The QR keeps its 4-module quiet zone and
whole-pixel modules, so it is never resampled.

Layout: the product name in bold across the top; below it the QR on the left
and the lines 供应商 / 批号 / 生产日期 / 保质期至 / 贮存 (/ 数量) on the right. Dates are
written 2025-09-01 everywhere (GB/T 7408 style, the shortest form that fits).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from trace.errors import DomainError, Invalid

LABEL_SIZES: dict[str, tuple[int, int]] = {"40x30": (40, 30), "60x40": (60, 40)}
DPIS = (203, 300)
QUIET_ZONE_MODULES = 4
# Below about 0.25 mm a thermal dot's spread closes the gaps between modules and
# phones stop reading the code.
MIN_MODULE_MM = 0.25
PDF_DPI = 300
SHEET_MARGIN_MM = 5  # office printers cannot print closer to the paper's edge

# Where common systems keep a font with Simplified Chinese glyphs, best first.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian fonts-wqy-zenhei
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)


@dataclass(frozen=True)
class LabelContent:
    uri: str
    product_name: str
    supplier_name: str
    lot: str
    production_date: date
    expiry_date: date
    storage_condition: str
    quantity_text: str | None = None


# --- fonts -------------------------------------------------------------------


@lru_cache(maxsize=16)
def _face_index(path: str) -> int:
    """In a font collection, the Simplified Chinese face: Noto's .ttc opens on Japanese,
    whose glyph shapes for shared characters differ from what Chinese readers expect."""
    if not path.lower().endswith(".ttc"):
        return 0
    names: list[str] = []
    for index in range(32):
        try:
            names.append(" ".join(ImageFont.truetype(path, 12, index=index).getname()))
        except OSError:
            break
    for wanted in (" SC", " CN", "GB"):
        for index, name in enumerate(names):
            if wanted in name and "Mono" not in name:
                return index
    return 0


def _font_file(path: Path, bold: bool) -> Path:
    if bold and "Regular" in path.name:
        bold_path = path.with_name(path.name.replace("Regular", "Bold"))
        if bold_path.exists():
            return bold_path
    return path


@lru_cache(maxsize=128)
def _font(path: str, size: int, bold: bool) -> ImageFont.FreeTypeFont:
    file = str(_font_file(Path(path), bold))
    return ImageFont.truetype(file, size, index=_face_index(file))


def draws_chinese(font: ImageFont.FreeTypeFont, text: str = "批") -> bool:
    """True when the font has real glyphs for ``text``: a font without them draws
    each character as its .notdef box, the same as an unassigned code point."""
    notdef = font.getmask("\ue000")
    for char in text:
        mask = font.getmask(char)
        if not mask.getbbox() or (mask.size == notdef.size and bytes(mask) == bytes(notdef)):
            return False
    return True


def find_cjk_font(configured: str | Path | None = None) -> Path:
    """The font labels are drawn with: ``configured`` (TRACE_CJK_FONT) if it exists,
    else a well-known system font; never one that would print boxes for Chinese."""
    candidates = ([Path(configured)] if configured else []) + [Path(p) for p in FONT_CANDIDATES]
    for path in candidates:
        if not path.is_file():
            continue
        try:
            if draws_chinese(_font(str(path), 32, False), "批号贮存"):
                return path
        except OSError:
            continue
    raise DomainError(
        "cjk_font_missing",
        "找不到能显示中文的字体，无法打印标签。请安装 fonts-noto-cjk（Debian/Ubuntu：apt-get install "
        "fonts-noto-cjk），或用环境变量 TRACE_CJK_FONT 指定中文字体文件（如 NotoSansCJK-Regular.ttc）。",
        "No font that draws Chinese was found, so labels cannot be printed. Install fonts-noto-cjk "
        "(Debian/Ubuntu: apt-get install fonts-noto-cjk) or set TRACE_CJK_FONT to a Chinese font file "
        "(e.g. NotoSansCJK-Regular.ttc).",
        status=503,
        configured=str(configured) if configured else None,
    )


# --- geometry ----------------------------------------------------------------


def _px(mm: float, dpi: int) -> int:
    return round(mm / 25.4 * dpi)


def label_pixels(size: str, dpi: int) -> tuple[int, int]:
    """The label's size in printer dots."""
    if size not in LABEL_SIZES or dpi not in DPIS:
        raise Invalid("label_size_unsupported", f"不支持的标签规格：{size}，{dpi} dpi",
                      f"Unsupported label: {size} at {dpi} dpi",
                      sizes=sorted(LABEL_SIZES), dpis=list(DPIS))
    width_mm, height_mm = LABEL_SIZES[size]
    return _px(width_mm, dpi), _px(height_mm, dpi)


def _qr_matrix(uri: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(uri)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def _qr_image(matrix: list[list[bool]], module: int) -> Image.Image:
    """The symbol with its quiet zone, each module exactly ``module`` × ``module`` dots."""
    side = (len(matrix) + 2 * QUIET_ZONE_MODULES) * module
    image = Image.new("1", (side, side), 1)
    draw = ImageDraw.Draw(image)
    offset = QUIET_ZONE_MODULES * module
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                left, top = offset + x * module, offset + y * module
                draw.rectangle((left, top, left + module - 1, top + module - 1), fill=0)
    return image


# --- text ----------------------------------------------------------------------


def _date(day: date) -> str:
    return day.isoformat()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fit(text: str, font_path: str, size: int, min_size: int, width: int, bold: bool = False
         ) -> tuple[str, ImageFont.FreeTypeFont]:
    """Shrink down to ``min_size``, then cut with an ellipsis: text never overflows."""
    for candidate in range(size, min_size - 1, -1):
        font = _font(font_path, candidate, bold)
        if font.getlength(text) <= width:
            return text, font
    font = _font(font_path, min_size, bold)
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…", font


@dataclass(frozen=True)
class _Fact:
    key: str
    value: str
    bold: bool = False
    # "text" shrinks then ends in an ellipsis; "date" sets the size every line shares;
    # "code" wraps onto more lines but is never shrunk or cut (a partial lot is useless).
    kind: Literal["text", "date", "code"] = "text"


@dataclass(frozen=True)
class _Row:
    key: str
    indent: int
    value: str
    font: ImageFont.FreeTypeFont


def _facts(content: LabelContent) -> list[_Fact]:
    facts = [
        _Fact("", _one_line(content.supplier_name)),
        _Fact("批号", content.lot, bold=True, kind="code"),
        _Fact("生产日期", _date(content.production_date), kind="date"),
        _Fact("保质期至", _date(content.expiry_date), bold=True, kind="date"),
        _Fact("贮存", _one_line(content.storage_condition)),
    ]
    if content.quantity_text:
        facts.append(_Fact("数量", _one_line(content.quantity_text), bold=True))
    return facts


def _shared_size(facts: list[_Fact], font_path: str, size: int, smallest: int, width: int) -> int:
    """One size for every fact, the largest at which the dates fit: mixed sizes read as a mistake."""
    dates = [fact for fact in facts if fact.kind == "date"]
    for candidate in range(size, smallest, -1):
        key_font = _font(font_path, candidate, False)
        if all(key_font.getlength(f"{fact.key} ") + _font(font_path, candidate, fact.bold).getlength(fact.value)
               <= width for fact in dates):
            return candidate
    return smallest


def _rows(facts: list[_Fact], font_path: str, size: int, smallest: int, width: int) -> list[_Row]:
    rows: list[_Row] = []
    for fact in facts:
        key = f"{fact.key} " if fact.key else ""
        indent = round(_font(font_path, size, False).getlength(key))
        room = width - indent
        if fact.kind == "code":
            font = _font(font_path, size, fact.bold)
            chunks = [""]
            for char in fact.value:
                if chunks[-1] and font.getlength(chunks[-1] + char) > room:
                    chunks.append("")
                chunks[-1] += char
            rows += [_Row(key if i == 0 else "", indent, chunk, font) for i, chunk in enumerate(chunks)]
        else:
            value, font = _fit(fact.value, font_path, size, min(size, smallest), room, fact.bold)
            rows.append(_Row(key, indent, value, font))
    return rows


def _draw_facts(draw: ImageDraw.ImageDraw, content: LabelContent, box: tuple[int, int, int, int],
                middle: int, font_path: str, size: int, smallest: int) -> None:
    """The facts in ``box`` (left, top, right, bottom), one shared size, centred on ``middle``."""
    left, top, right, bottom = box
    facts = _facts(content)
    size = _shared_size(facts, font_path, min(size, int((bottom - top) / len(facts) / 1.2)), smallest,
                        right - left)
    rows = _rows(facts, font_path, size, smallest, right - left)
    if len(rows) > len(facts):  # a long lot took a second line: make room for it
        size = min(size, max(smallest, int((bottom - top) / len(rows) / 1.2)))
        rows = _rows(facts, font_path, size, smallest, right - left)
    pitch = min((bottom - top) / len(rows), size * 1.75)
    block_top = max(top, min(bottom - pitch * len(rows), middle - pitch * len(rows) / 2))
    key_font = _font(font_path, size, False)
    glyph = key_font.getbbox("期")
    for index, row in enumerate(rows):
        baseline = round(block_top + index * pitch + (pitch + glyph[3] - glyph[1]) / 2)
        if row.key:
            draw.text((left, baseline), row.key, font=key_font, fill=0, anchor="ls")
        draw.text((left + row.indent, baseline), row.value, font=row.font, fill=0, anchor="ls")


# --- the label -------------------------------------------------------------------


def render_label(content: LabelContent, *, size: str = "40x30", dpi: int = 203, font_path: Path
                 ) -> Image.Image:
    """The label as a 1-bit image of exactly the label's size in dots."""
    width, height = label_pixels(size, dpi)
    font_file = str(font_path)
    wide = size == "60x40"
    margin = _px(1.5, dpi)
    smallest = _px(1.6, dpi)  # about 4.5 pt: the smallest Chinese a thermal head prints legibly
    image = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"  # hinted monochrome glyphs: crisp dots, no greys to threshold

    # Header: the product name in bold across the label, over a hairline rule. It shrinks
    # only so far before it is cut, so it never reads smaller than the lines below it.
    title_size = _px(4.0 if wide else 3.0, dpi)
    title, title_font = _fit(_one_line(content.product_name), font_file, title_size,
                             max(smallest, round(title_size * 0.7)), width - 2 * margin, bold=True)
    ascent, descent = title_font.getmetrics()
    draw.text((margin, margin + ascent), title, font=title_font, fill=0, anchor="ls")
    rule_y = margin + ascent + descent + _px(0.4, dpi)
    rule = max(1, _px(0.15, dpi))
    draw.rectangle((margin, rule_y, width - margin - 1, rule_y + rule - 1), fill=0)
    body_top = rule_y + rule
    # Content is centred between the rule and the label's edge, so the white above and below match.
    middle = (body_top + height) // 2

    # The QR gets the largest whole-dot module that fits half the width and the body's height.
    matrix = _qr_matrix(content.uri)
    modules = len(matrix) + 2 * QUIET_ZONE_MODULES
    module = min(int(width * 0.5) // modules, (height - body_top) // modules)
    if module < max(1, _px(MIN_MODULE_MM, dpi)):
        raise Invalid("label_too_small", "链接太长，二维码在这个尺寸的标签上无法可靠扫描",
                      "The link is too long for a scannable QR code on this label",
                      uri=content.uri, size=size)
    qr = _qr_image(matrix, module)
    quiet = QUIET_ZONE_MODULES * module
    # The symbol's left edge lines up with the title; its quiet zone may run to the label's edge.
    qr_x = max(0, margin - quiet)
    qr_y = max(body_top, min(height - qr.height, middle - qr.height // 2))
    image.paste(qr, (qr_x, qr_y))

    # Facts start after the QR's right quiet zone.
    _draw_facts(draw, content, (qr_x + qr.width, body_top, width - margin, height - margin), middle,
                font_file, _px(3.2 if wide else 2.4, dpi), smallest)
    return image


def render_label_png(content: LabelContent, *, size: str = "40x30", dpi: int = 203, font_path: Path
                     ) -> bytes:
    """The label as a PNG for a thermal printer, with the printer's dpi recorded in it."""
    buffer = io.BytesIO()
    image = render_label(content, size=size, dpi=dpi, font_path=font_path)
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


# --- A4 sheets -------------------------------------------------------------------


def sheet_grid(size: str) -> tuple[int, int]:
    """How many labels of ``size`` fit across and down an A4 sheet."""
    label_pixels(size, PDF_DPI)
    width_mm, height_mm = LABEL_SIZES[size]
    usable_w, usable_h = 210 - 2 * SHEET_MARGIN_MM, 297 - 2 * SHEET_MARGIN_MM
    return int(usable_w // width_mm), int(usable_h // height_mm)


def render_label_sheet_pdf(contents: Sequence[LabelContent], *, font_path: Path, size: str = "60x40"
                           ) -> bytes:
    """A4 sheets of labels edge to edge in a grid with dashed cut lines, for office printers.

    Labels are the 300 dpi PNGs placed at their true size, so Chinese is drawn by the
    same font as on thermal labels (ReportLab cannot embed CJK fonts with CFF outlines).
    """
    if not contents:
        raise Invalid("no_labels", "没有要打印的标签", "There are no labels to print")
    columns, rows = sheet_grid(size)
    label_w, label_h = (side * mm for side in LABEL_SIZES[size])
    page_w, page_h = A4
    x0 = (page_w - columns * label_w) / 2
    y0 = page_h - (page_h - rows * label_h) / 2  # top edge of the grid (PDF y grows upwards)
    per_page = columns * rows

    # A shipment prints the same label once per package: draw each distinct label once.
    images: dict[LabelContent, ImageReader] = {}
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle("批次标签 Batch labels")
    for start in range(0, len(contents), per_page):
        page = contents[start:start + per_page]
        for slot, content in enumerate(page):
            if content not in images:
                label = render_label(content, size=size, dpi=PDF_DPI, font_path=font_path)
                images[content] = ImageReader(label.convert("L"))
            x = x0 + (slot % columns) * label_w
            y = y0 - (slot // columns + 1) * label_h
            pdf.drawImage(images[content], x, y, label_w, label_h)
        used_rows = -(-len(page) // columns)
        _cut_lines(pdf, x0, y0, columns, used_rows, label_w, label_h)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _cut_lines(pdf: Canvas, x0: float, y0: float, columns: int, rows: int, label_w: float,
               label_h: float) -> None:
    pdf.saveState()
    pdf.setStrokeGray(0.6)
    pdf.setLineWidth(0.25)
    pdf.setDash(2, 2)
    for column in range(columns + 1):
        x = x0 + column * label_w
        pdf.line(x, y0, x, y0 - rows * label_h)
    for row in range(rows + 1):
        y = y0 - row * label_h
        pdf.line(x0, y, x0 + columns * label_w, y)
    pdf.restoreState()
