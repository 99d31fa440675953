"""The monitor and the dashboard in Debian's Chromium, on the seeded world of
``tests/webui/monitor_world.py``: the monitor's diagram shows the counts per element, an incident
is cancelled from the list; the dashboard's charts are drawn and the units drill down (Sở →
xã → school). No CSP violation or script error; axe on each page; screenshots (desktop, phone)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine import FrozenClock, ProcessEngine
from tests.fixtures.browser import screenshot
from tests.fixtures.webapp import LiveServer, check_accessibility, serving, web_config
from tests.webui.monitor_world import ADMIN, MonitorWorld, build
from tests.webui.test_browser import PHONE, log_in
from webui import create_app


@pytest.fixture
def world(pe: ProcessEngine, clock: FrozenClock) -> MonitorWorld:
    return build(pe, clock)


@pytest.fixture
def server(pe: ProcessEngine, world: MonitorWorld, clock: FrozenClock) -> Iterator[LiveServer]:
    with serving(create_app(web_config(pe)), clock) as running:
        yield running


@pytest.fixture
def watched(page):
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    return page


def shots(page, name: str) -> None:
    screenshot(page, f"webui_{name}")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, f"webui_{name}_phone")
    screenshot(page, f"webui_{name}_phone_top", full_page=False)  # the first screen, at its real size
    page.set_viewport_size({"width": 1280, "height": 900})


def badges(page) -> dict[str, dict[str, int]]:
    """The badges drawn over the diagram: {element id: {kind: number}}."""
    return page.evaluate("""() => {
      const out = {};
      for (const box of document.querySelectorAll('.djs-overlay-gv-counts')) {
        const id = box.parentElement.getAttribute('data-container-id');
        out[id] = {};
        for (const badge of box.querySelectorAll('.gv-count')) {
          out[id][badge.className.replace(/.*gv-count--/, '')] = Number(badge.textContent);
        }
      }
      return out;
    }""")


def test_monitor_diagram_counts_and_an_incident_cancelled(watched, server, world):
    page = watched
    log_in(page, server, ADMIN)
    page.wait_for_url(f"{server.url}/")
    page.get_by_role("link", name="Giám sát").click()
    page.wait_for_url(f"{server.url}/monitor")
    assert page.get_by_role("heading", level=1).text_content() == "Giám sát quy trình"
    check_accessibility(page)
    shots(page, "monitor")

    page.get_by_role("link", name="Giao nhiệm vụ").click()
    page.wait_for_url(f"{server.url}/monitor/processes/giao_nhiem_vu/1")
    page.wait_for_selector(".djs-overlay-gv-counts .gv-count")
    drawn = badges(page)
    assert drawn["tiep_nhan"] == {"waiting": 25, "late": 1}
    assert drawn["ky_duyet"] == {"waiting": 2, "late": 2}
    assert page.get_by_label("Đang chờ: 25").count() == 1
    check_accessibility(page)
    shots(page, "monitor_version")

    page.goto(f"{server.url}/monitor/instances/{world.lead['3']}")  # returned, now overdue at thuc_hien
    page.wait_for_selector(".djs-element.gv-current[data-element-id='thuc_hien']")
    assert badges(page) == {"thuc_hien": {"waiting": 1, "late": 1}}
    check_accessibility(page)
    shots(page, "monitor_instance")

    # The test process su_co has no diagram interchange (nothing to draw): its page says so.
    page.goto(f"{server.url}/monitor/instances/{world.failing[1]}")
    page.wait_for_selector(".gv-widget-error")
    page.get_by_label("Lý do (bắt buộc khi đóng sự cố hoặc hủy)").fill("Quy trình thử")
    page.get_by_role("button", name="Hủy phiên bản", exact=True).click()
    page.wait_for_url(f"{server.url}/monitor/instances/{world.failing[1]}")
    assert "Đã xử lý 1 mục." in page.get_by_role("status").first.text_content()
    assert "Đã hủy" in page.text_content("#main") and "instance_cancelled" in page.text_content("#main")
    assert page.locator("table.variables").get_by_text("n", exact=True).count() == 1  # an ended instance's data still shows
    screenshot(page, "webui_monitor_instance_cancelled")
    assert page.problems == []


def test_dashboard_charts_and_drill_down(watched, server, world):
    page = watched
    log_in(page, server, ADMIN)
    page.wait_for_url(f"{server.url}/")
    page.get_by_role("link", name="Bảng điều khiển").click()
    page.wait_for_url(f"{server.url}/dashboard")
    for chart in ("statuses", "units", "months", "quarters"):
        page.wait_for_function(f"() => document.getElementById('chart-{chart}').gvChart !== undefined")
    units = page.evaluate("() => document.getElementById('chart-units').gvChart.data.labels")
    assert "Văn phòng Sở" in units
    assert page.evaluate("() => document.getElementById('chart-statuses').gvChart.data.datasets[0].data") == [25, 1, 0, 1, 1, 1, 1, 0]
    check_accessibility(page)
    shots(page, "dashboard")
    for section in ("statuses", "units", "overdue", "trends", "indicators"):  # each part at its real size
        page.locator(f"#{section}-title").scroll_into_view_if_needed()
        page.evaluate(f"document.getElementById('{section}-title').scrollIntoView()")
        screenshot(page, f"webui_dashboard_{section}", full_page=False)

    page.locator("table.units").get_by_role("link", name="UBND Xã Hồng Bàng").click()
    page.wait_for_url(f"{server.url}/dashboard?unit=HP.X001&year=2026")
    assert page.get_by_role("heading", level=1).text_content() == "Bảng điều khiển: UBND Xã Hồng Bàng"
    page.get_by_role("link", name="Trường THCS Hồng Bàng").first.click()
    page.wait_for_url(f"{server.url}/dashboard?unit=HP.X001.THCS01&year=2026")
    trail = page.get_by_role("navigation", name="Cấp đơn vị").text_content()
    assert "Sở Giáo dục và Đào tạo" in trail and "UBND Xã Hồng Bàng" in trail
    assert "96.15" not in page.text_content("#main") and "50.00 %" in page.text_content("table.indicators")  # 1/2, this school alone
    check_accessibility(page)
    shots(page, "dashboard_school")

    page.get_by_label("Số liệu của").select_option("coordinator")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_url(f"{server.url}/dashboard?unit=HP.X001.THCS01&view=coordinator&plan=&year=2026")
    assert page.problems == []
