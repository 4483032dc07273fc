"""Pages in zh-CN first and English second, through gettext catalogs (Babel).

Message ids are English; ``locale/zh_CN/LC_MESSAGES/messages.po`` holds the
Chinese. Catalogs are compiled in memory at start-up, so the repository keeps only
the reviewable ``.po`` text. Extract new strings with
``pybabel extract -F babel.cfg -o locale/messages.pot .`` and merge with
``pybabel update -i locale/messages.pot -d locale``.
"""

from __future__ import annotations

import gettext
import io
from datetime import date
from functools import lru_cache, partial
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from trace.guard import PROJECT_ROOT

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
TEMPLATE_DIRS = [PROJECT_ROOT / d / "templates" for d in ("trace", "web", "suppliers", "canteens", "inspections")]


@lru_cache
def translations(locale: str) -> gettext.NullTranslations:
    po_path = PROJECT_ROOT / "locale" / locale.replace("-", "_") / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale.replace("-", "_"))
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def N_(message: str) -> str:
    """Mark an English label for extraction (``pybabel extract`` knows ``N_``); translate it later."""
    return message


def label(message: str, locale: str = DEFAULT_LOCALE) -> str:
    """An enum's label in ``locale`` from the gettext catalogs, not from a dictionary in the code."""
    return translations(locale).gettext(message)


def negotiate_locale(accept_language: str | None, explicit: str | None = None) -> str:
    """``?lang=`` wins; then the first Accept-Language we speak; else zh-CN."""
    if explicit in LOCALES:
        return explicit
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


def format_date(day: date | None, locale: str) -> str:
    """Dates as people write them: 2025年9月1日 in Chinese, 2025-09-01 otherwise."""
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日" if locale == "zh-CN" else day.isoformat()


@lru_cache(maxsize=len(LOCALES))
def environment(locale: str) -> Environment:
    """One environment per language, built once: its templates compile on first use and are cached.

    Each language has its own, with its catalog installed, rather than an overlay per
    render: an overlay starts with an empty template cache, so every page view compiled
    its template again (about a third of the public batch page's time).
    """
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in TEMPLATE_DIRS if Path(d).exists()]),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(locale=locale, format_date=partial(format_date, locale=locale))
    return env


def render(template: str, locale: str, **context: object) -> str:
    return environment(locale).get_template(template).render(**context)
