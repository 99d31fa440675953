"""The accessibility check of the browser tests finds real problems: the structure checks and
axe-core's WCAG rules (contrast among them) each fail a page that breaks them."""

from __future__ import annotations

import pytest

from tests.fixtures.webapp import basic_accessibility_problems, check_accessibility

GOOD = ("<!doctype html><html lang='vi'><head><title>Thử</title></head><body><main><h1>Tiêu đề</h1>"
        "<label for='a'>Tên</label><input id='a' name='a'></main></body></html>")  # fmt: skip


def test_the_basic_checks_find_missing_labels_language_and_title(page):
    page.set_content("<html><body><main><h1>A</h1><input name='x'></main></body></html>")
    problems = basic_accessibility_problems(page)
    assert "html has no lang" in problems and "unlabelled field x" in problems and "page has no title" in problems
    page.set_content(GOOD)
    assert basic_accessibility_problems(page) == []
    check_accessibility(page)


def test_axe_fails_a_page_with_low_contrast_text(page):
    page.set_content(GOOD.replace("<h1>Tiêu đề</h1>", "<h1>Tiêu đề</h1><p style='color:#ccc'>mờ quá</p>"))
    with pytest.raises(AssertionError, match="color-contrast"):
        check_accessibility(page)
