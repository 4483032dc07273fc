"""Pages render in the language asked for, from templates compiled once per language."""

from __future__ import annotations

import pytest

from trace import i18n

FOOTER_EN = "Zhangqiu District Market Supervision Administration · demo data is fictional"
FOOTER_ZH = "章丘区市场监督管理局 · 示例数据均为虚构"


@pytest.fixture
def loads(monkeypatch):
    """Counts, per language, how often a template is loaded and compiled."""
    counts: dict[tuple[str, str], int] = {}
    for locale in i18n.LOCALES:
        loader = i18n.environment(locale).loader
        original = loader.load

        def counting(environment, template, globals=None, *, _locale=locale, _original=original):
            counts[(_locale, template)] = counts.get((_locale, template), 0) + 1
            return _original(environment, template, globals)

        monkeypatch.setattr(loader, "load", counting)
        i18n.environment(locale).cache.clear()
    return counts


def _error_page(locale: str, heading: str = "heading") -> str:
    return i18n.render("resolver_error.html", locale, heading=heading, message="message")


def test_a_second_render_reuses_the_compiled_template(loads):
    first = _error_page("en", heading="first")
    second = _error_page("en", heading="second")
    assert "first" in first and "second" in second
    assert loads == {("en", "resolver_error.html"): 1, ("en", "base.html"): 1}


def test_each_language_keeps_its_own_translations_when_requests_alternate(loads):
    pages = [_error_page(locale) for locale in ("zh-CN", "en", "zh-CN", "en")]
    assert [FOOTER_ZH in page for page in pages] == [True, False, True, False]
    assert [FOOTER_EN in page for page in pages] == [False, True, False, True]
    assert ['<html lang="zh-CN">' in page for page in pages] == [True, False, True, False]
    assert max(loads.values()) == 1


def test_dates_are_written_in_the_language_of_the_page():
    from datetime import date

    template = i18n.environment("zh-CN").from_string("{{ format_date(day) }}")
    assert template.render(day=date(2025, 9, 1)) == "2025年9月1日"
    assert i18n.environment("en").from_string("{{ format_date(day) }}").render(day=date(2025, 9, 1)) == "2025-09-01"
