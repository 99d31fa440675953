"""The browser the web tests use starts here, renders Vietnamese text and runs scripts."""

from __future__ import annotations

from tests.fixtures.browser import screenshot


def test_chromium_renders_vietnamese_and_runs_scripts(page):
    page.set_content(
        "<html lang='vi'><body><h1>Giao việc</h1><p id='out'></p>"
        "<script>document.getElementById('out').textContent = 'Đã chạy: ' + (6 * 7);</script></body></html>"
    )
    assert page.text_content("h1") == "Giao việc"
    assert page.text_content("#out") == "Đã chạy: 42"
    assert screenshot(page, "browser_smoke").stat().st_size > 1000
