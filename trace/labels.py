"""Batch labels: a QR code holding the batch's GS1 Digital Link beside the facts a
cook checks at the door — pure rendering, no database.

PNGs are sized to the dot for 40×30 mm and 60×40 mm thermal labels at 203 or
300 dpi and drawn in pure black and white, so printers do not dither them. The
QR keeps its 4-module quiet zone and whole-pixel modules (no resampling blur).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from trace.errors import DomainError

LABEL_SIZES: dict[str, tuple[int, int]] = {"40x30": (40, 30), "60x40": (60, 40)}
DPIS = (203, 300)
QUIET_ZONE_MODULES = 4

# Where well-kept CJK fonts live on common systems; Simplified Chinese face first.
FONT_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/System/Library/Fonts/PingFang.ttc", 0),
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


def _renders_chinese(path: Path, index: int) -> bool:
    """A font that draws 批 differently from a private-use code point has real CJK glyphs."""
    try:
        font = ImageFont.truetype(str(path), 32, index=index)
    except OSError:
        return False
    return font.getmask("批").getbbox() != font.getmask("\ue000").getbbox() and bool(font.getmask("批").getbbox())


def _face_index(path: Path) -> int:
    return 2 if path.suffix.lower() == ".ttc" and "NotoSansCJK" in path.name else 0


def find_cjk_font(configured: str | Path | None = None) -> Path:
    """The CJK font to draw labels with, or a clear error (never boxes instead of Chinese)."""
    candidates = [(Path(configured), _face_index(Path(configured)))] if configured else []
    candidates += [(Path(p), i) for p, i in FONT_CANDIDATES]
    for path, index in candidates:
        if path.exists() and _renders_chinese(path, index):
            return path
    raise DomainError(
        "cjk_font_missing",
        "找不到可显示中文的字体，无法打印标签。请安装 fonts-noto-cjk（Debian/Ubuntu: apt-get install fonts-noto-cjk），"
        "或用环境变量 TRACE_CJK_FONT 指定字体文件路径。",
        "No font that renders Chinese was found, so labels cannot be printed. Install fonts-noto-cjk "
        "(Debian/Ubuntu: apt-get install fonts-noto-cjk) or set TRACE_CJK_FONT to a font file.",
        status=503,
        configured=str(configured) if configured else None,
    )


@lru_cache(maxsize=64)
def _font(path: str, size: int, bold: bool) -> ImageFont.FreeTypeFont:
    file = Path(path)
    if bold:
        bold_file = file.with_name(file.name.replace("Regular", "Bold"))
        if bold_file != file and bold_file.exists():
            file = bold_file
    return ImageFont.truetype(str(file), size, index=_face_index(file))


def label_pixels(size: str, dpi: int) -> tuple[int, int]:
    if size not in LABEL_SIZES or dpi not in DPIS:
        raise DomainError("label_size_unsupported", f"不支持的标签规格 {size} / {dpi} dpi",
                          f"Unsupported label {size} at {dpi} dpi", status=422,
                          sizes=sorted(LABEL_SIZES), dpis=list(DPIS))
    width_mm, height_mm = LABEL_SIZES[size]
    return round(width_mm / 25.4 * dpi), round(height_mm / 25.4 * dpi)


def _qr_image(uri: str, max_width: int, max_height: int) -> Image.Image:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE_MODULES, box_size=1)
    code.add_data(uri)
    code.make(fit=True)
    modules = code.modules_count + 2 * QUIET_ZONE_MODULES
    box = min(max_width, max_height) // modules
    if box < 2:
        raise DomainError("label_too_small", "二维码内容过长，该标签尺寸放不下", "The QR code does not fit this label",
                          status=422, uri=uri)
    code.box_size = box
    return code.make_image(fill_color="black", back_color="white").get_image().convert("1")


def _fit(draw: ImageDraw.ImageDraw, text: str, font_path: str, size: int, width: int, bold: bool = False
         ) -> tuple[str, ImageFont.FreeTypeFont]:
    """Shrink to at most 80 % of the line's size, then cut with an ellipsis: never overflow."""
    for candidate in range(size, max(8, int(size * 0.8)) - 1, -1):
        font = _font(font_path, candidate, bold)
        if draw.textlength(text, font=font) <= width:
            return text, font
    font = _font(font_path, max(8, int(size * 0.8)), bold)
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…", font


def _date(day: date) -> str:
    return day.isoformat()


def render_label(content: LabelContent, *, size: str = "40x30", dpi: int = 203, font_path: Path) -> Image.Image:
    width, height = label_pixels(size, dpi)
    canvas = Image.new("L", (width, height), 255)
    wide = size == "60x40"
    qr = _qr_image(content.uri, int(width * (0.48 if wide else 0.52)), height)
    canvas.paste(qr.convert("L"), (0, (height - qr.height) // 2))

    draw = ImageDraw.Draw(canvas)
    # The QR's own quiet zone separates it from the text; text starts right after it.
    left = qr.width
    right_margin = round(1.2 / 25.4 * dpi)
    text_width = width - left - right_margin
    base = round((2.9 if wide else 1.9) / 25.4 * dpi)  # body text height in mm → pixels
    lines: list[tuple[str, int, bool]] = [
        (content.product_name, round(base * 1.25), True),
        (content.supplier_name, round(base * 0.85), False),
        (f"批号 {content.lot}", base, True),
        (f"生产 {_date(content.production_date)}", base, False),
        (f"保质期至 {_date(content.expiry_date)}", base, False),
        (f"贮存 {content.storage_condition}" + (f"  {content.quantity_text}" if content.quantity_text else ""),
         base, False),
    ]
    fitted = [(*_fit(draw, text, str(font_path), px, text_width, bold), px) for text, px, bold in lines]
    gap = max(1, round(base * 0.18))
    total = sum(px for *_, px in fitted) + gap * (len(fitted) - 1)
    y = max(round(0.8 / 25.4 * dpi), (height - total) // 2)
    for text, font, px in fitted:
        draw.text((left, y), text, font=font, fill=0)
        y += px + gap
    # Threshold to pure black and white: thermal heads print dots, not greys.
    return canvas.point(lambda p: 255 if p > 150 else 0).convert("1")


def render_label_png(content: LabelContent, *, size: str = "40x30", dpi: int = 203, font_path: Path) -> bytes:
    buffer = io.BytesIO()
    render_label(content, size=size, dpi=dpi, font_path=font_path).save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def render_label_sheet_pdf(contents: list[LabelContent], *, font_path: Path, size: str = "60x40") -> bytes:
    """A4 sheets of labels in a grid with light cut lines, for ordinary office printers."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas as pdf_canvas

    if not contents:
        raise DomainError("no_labels", "没有可打印的标签", "There are no labels to print", status=422)
    label_w, label_h = LABEL_SIZES[size]
    page_w, page_h = A4
    columns = int((page_w / mm - 10) // label_w)
    rows = int((page_h / mm - 10) // label_h)
    margin_x = (page_w - columns * label_w * mm) / 2
    margin_y = (page_h - rows * label_h * mm) / 2
    buffer = io.BytesIO()
    pdf = pdf_canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle("批次标签 Batch labels")
    pdf.setStrokeGray(0.8)
    pdf.setLineWidth(0.3)
    per_page = columns * rows
    for index, content in enumerate(contents):
        if index and index % per_page == 0:
            pdf.showPage()
            pdf.setStrokeGray(0.8)
            pdf.setLineWidth(0.3)
        slot = index % per_page
        x = margin_x + (slot % columns) * label_w * mm
        y = page_h - margin_y - (slot // columns + 1) * label_h * mm
        image = render_label(content, size=size, dpi=300, font_path=font_path)
        pdf.drawImage(ImageReader(image.convert("L")), x, y, label_w * mm, label_h * mm)
        pdf.rect(x, y, label_w * mm, label_h * mm)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
