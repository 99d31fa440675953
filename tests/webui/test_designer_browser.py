"""The designer in Debian's Chromium: copy a library process, change a lane's role and a step's
deadline in the properties panel, validate, deploy, see the new version in /processes, dispatch
with it (the step is due when the designer said), compare the two versions, migrate the running
instances (dry run, then for real), see the version in /monitor with its counts and the step's due
date on the task page; a step's escalation settings are a warning on the element; every MIWG model opens
and saves back with no element lost, in one page session; a model with elements the engine does
not run is marked on those elements as soon as it is opened. Accessibility (axe) on each page, no
console error or CSP violation, screenshots."""

from __future__ import annotations

import re
from datetime import datetime

from lxml import etree
from sqlalchemy import select

from engine import ChildSpec, HumanTask, ProcessDefinition, start_instances
from tests.fixtures.browser import screenshot
from tests.fixtures.shared import MIWG
from tests.fixtures.webapp import check_accessibility
from tests.webui.test_browser import log_in
from workflows.timeframes import LOCAL_TZ

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
GV = "https://giaoviec.vn/schema/bpmn/1.0"
EDITOR = "document.querySelector('[data-gv-designer]').gvEditor"
UPSTREAM_WARNINGS = ("ContextPad#getPad is deprecated",)


def watch(page):
    problems = []

    def console(message):
        if message.type in {"error", "warning"} and not any(w in message.text for w in UPSTREAM_WARNINGS):
            problems.append(f"{message.type}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    return problems


def wait_status(page, text):
    page.wait_for_function("text => document.querySelector('[data-gv-status]').textContent === text", arg=text)


def select_element(page, element_id):
    page.evaluate(f"id => {{ const m = {EDITOR}.bpmn; m.get('selection').select(m.get('elementRegistry').get(id)); }}", element_id)


def open_group(page, group_id):
    header = page.locator(f"[data-group-id='group-{group_id}'] .bio-properties-panel-group-header")
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def wait_model(page, expression):
    page.wait_for_function(f"() => {{ const r = {EDITOR}.bpmn.get('elementRegistry'); return {expression}; }}")


def badges(page):
    """The counts drawn over the monitor's diagram: {element id: {kind: number}}."""
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


def test_copy_change_deploy_diff_and_migrate(page, world_server, pe, world, clock):
    problems = watch(page)
    base = world_server.url
    log_in(page, world_server, "p_cv")
    page.get_by_role("link", name="Quy trình", exact=True).click()
    page.wait_for_url(f"{base}/processes")
    check_accessibility(page)
    screenshot(page, "webui_processes")

    page.get_by_role("link", name="Thiết kế quy trình mới").click()
    page.get_by_label("Sao chép từ quy trình mẫu").select_option("giao_nhiem_vu")
    page.get_by_role("button", name="Mở", exact=True).click()
    page.wait_for_url(f"{base}/designer?from=giao_nhiem_vu")
    wait_status(page, "Quy trình hợp lệ: có thể triển khai.")  # validated on the server as soon as it opened

    select_element(page, "lane_chuyen_vien")
    open_group(page, "giaoviec")
    page.get_by_label("Vai trò", exact=True).select_option(label="Lãnh đạo")
    wait_model(page, "r.get('lane_chuyen_vien').businessObject.extensionElements?.values[0].role === 'leader'")
    page.locator(".djs-element[data-element-id='tiep_nhan']").click()
    open_group(page, "giaoviec")
    page.get_by_label("Hạn xử lý: số ngày làm việc", exact=True).fill("5")
    wait_model(page, "(r.get('tiep_nhan').businessObject.extensionElements.values || []).some(v => v.workingDays === 5)")
    wait_status(page, "Có thay đổi chưa triển khai.")
    page.get_by_role("button", name="Kiểm tra").click()
    wait_status(page, "Quy trình hợp lệ: có thể triển khai.")
    check_accessibility(page)
    screenshot(page, "webui_designer")

    page.get_by_role("button", name="Triển khai").click()
    page.wait_for_url(f"{base}/processes")
    assert "Đã triển khai giao_nhiem_vu phiên bản 2." in page.get_by_role("status").first.text_content()
    row = page.locator("section.process", has=page.locator("#process-giao_nhiem_vu")).locator("tr[data-version='2']")
    assert "p_cv" in row.text_content() and "mới nhất" in row.text_content()
    screenshot(page, "webui_processes_deployed")
    with pe.read() as s:
        xml = s.scalars(select(ProcessDefinition.xml).where(ProcessDefinition.key == "giao_nhiem_vu", ProcessDefinition.version == 2)).one()
    root = etree.fromstring(xml)
    ns = {"bpmn": BPMN, "gv": GV}
    [lane] = root.findall(".//bpmn:lane[@id='lane_chuyen_vien']/bpmn:extensionElements/gv:lane", ns)
    assert lane.get("role") == "leader"
    [deadline] = root.findall(".//bpmn:userTask[@id='tiep_nhan']/bpmn:extensionElements/gv:deadline", ns)
    assert deadline.get("workingDays") == "5"

    # Dispatch with v2 as the monitor's world seeds its instances (the engine's bulk start, the
    # domain's hooks installed), for the THPT, the work due at the end of the month: the first
    # step opens on Monday 02/03 and is due 5 working days later (late from 00:00 on 10/03), the
    # designer's rule, not the instance's 31/03.
    with pe.unit_of_work("tester") as uow:
        children = [ChildSpec("T.THPT1", business_key=f"designer-v2/{n}", due_at=datetime(2026, 4, 1, tzinfo=LOCAL_TZ)) for n in (1, 2)]
        started = start_instances(uow, "giao_nhiem_vu", children, data={"don_vi_giao": "T", "tieu_de": "Nhiệm vụ theo phiên bản 2"}).instance_ids
    with pe.read() as s:
        v2_steps = s.execute(select(HumanTask.id, HumanTask.due_at, HumanTask.candidate_role).where(HumanTask.instance_id.in_(started))).all()
    assert {(due, role) for _, due, role in v2_steps} == {(datetime(2026, 3, 10, tzinfo=LOCAL_TZ), "leader")}

    page.locator("section.process", has=page.locator("#process-giao_nhiem_vu")).get_by_role("link", name="So sánh hai phiên bản mới nhất").click()
    page.wait_for_url(re.compile(r".*/processes/giao_nhiem_vu/diff\?from=1&to=2$"))
    page.wait_for_function("() => document.querySelector('[data-gv-diff]').dataset.compared === 'true'")
    changes = page.evaluate("() => document.querySelector('[data-gv-diff]').gvReady")
    assert "tiep_nhan" in [c["id"] for c in changes["changed"]] or "lane_chuyen_vien" in [c["id"] for c in changes["changed"]]
    assert page.locator("[data-gv-legend] li").count() >= 4
    check_accessibility(page)
    screenshot(page, "webui_processes_diff")

    page.goto(f"{base}/processes")
    page.locator("section.process", has=page.locator("#process-giao_nhiem_vu")).get_by_role("link", name="Chuyển hồ sơ sang phiên bản khác").click()
    page.wait_for_url(re.compile(r".*/processes/giao_nhiem_vu/migrate$"))
    assert page.get_by_role("heading", name="Chuyển được: 3 hồ sơ", exact=True).is_visible()
    assert page.locator("#movable tbody tr").count() == 3
    check_accessibility(page)
    screenshot(page, "webui_processes_migrate_dry_run")
    page.get_by_role("button", name="Chuyển 3 hồ sơ sang v2").click()
    page.wait_for_url(re.compile(r".*/processes/giao_nhiem_vu/migrate\?from=1&to=2$"))
    assert "Đã chuyển 3 hồ sơ sang phiên bản 2." in page.get_by_role("status").first.text_content()
    assert page.get_by_role("heading", name="Chuyển được: 0 hồ sơ", exact=True).is_visible()
    screenshot(page, "webui_processes_migrated")
    with pe.read() as s:
        roles = set(s.scalars(select(HumanTask.candidate_role).where(HumanTask.element_id == "tiep_nhan", HumanTask.status == "open",
                                                                      HumanTask.process_key == "giao_nhiem_vu")))  # fmt: skip
    assert roles == {"leader"}  # the moved steps follow v2's lane

    # A day after the step's due: the monitor counts v2's waiting steps (the three moved, the two
    # dispatched with it) and the two past the designer's deadline as late.
    clock.set(datetime(2026, 3, 10, 9, tzinfo=LOCAL_TZ))
    page.context.clear_cookies()
    log_in(page, world_server, "so_qt")
    page.goto(f"{base}/monitor")
    check_accessibility(page)
    screenshot(page, "webui_designer_monitor")
    page.goto(f"{base}/monitor/processes/giao_nhiem_vu/2")
    page.wait_for_selector(".djs-overlay-gv-counts .gv-count")
    assert badges(page) == {"tiep_nhan": {"waiting": 5, "late": 2}}
    check_accessibility(page)
    screenshot(page, "webui_designer_monitor_version")

    # The THPT's leader (v2's lane) opens the step: due when the designer said, and overdue.
    page.context.clear_cookies()
    log_in(page, world_server, "t_ld")
    page.goto(f"{base}/tasks/{v2_steps[0][0]}")
    due = page.locator("dt", has_text="Hạn của bước").locator("xpath=following-sibling::dd[1]").text_content()
    assert "10/03/2026 00:00" in due and "Quá hạn" in due
    check_accessibility(page)
    screenshot(page, "webui_designer_task_due")
    assert problems == []


def test_a_steps_escalation_settings_are_a_warning_on_the_element(page, world_server, world):
    """Urging follows the policy set in /admin, not a step's own gv:escalation: the designer marks
    the step in amber with the reason, lists it as a warning, and still calls the model valid."""
    problems = watch(page)
    log_in(page, world_server, "so_cv")
    page.goto(f"{world_server.url}/designer?from=giao_nhiem_vu")
    wait_status(page, "Quy trình hợp lệ: có thể triển khai.")
    page.locator(".djs-element[data-element-id='tiep_nhan']").click()
    open_group(page, "giaoviec")
    page.get_by_label("Leo thang sau (số ngày quá hạn)", exact=True).fill("2")
    wait_model(page, "(r.get('tiep_nhan').businessObject.extensionElements.values || []).some(v => v.escalateAfter === 2)")
    page.get_by_role("button", name="Kiểm tra").click()
    wait_status(page, "Quy trình hợp lệ: có thể triển khai. Có 1 cảnh báo (không chặn triển khai).")
    assert page.locator(".djs-element.gv-warning[data-element-id='tiep_nhan']").count() == 1
    assert page.locator(".djs-element.gv-problem").count() == 0
    [item] = page.locator("[data-gv-problems] li.designer-warning").all_text_contents()
    assert item.startswith("Cảnh báo: tiep_nhan") and "chính sách đôn đốc đặt trong trang Quản trị" in item
    check_accessibility(page)
    screenshot(page, "webui_designer_escalation_warning")
    assert problems == []


def _ids_and_types(xml: bytes) -> dict[str, str]:
    return {el.get("id"): el.tag for el in etree.fromstring(xml).iter() if isinstance(el.tag, str) and el.get("id")}


def _declared_text(xml: bytes) -> str:
    match = re.match(rb"<\?xml[^>]*encoding=[\"']([A-Za-z0-9_-]+)", xml)
    return xml.decode(match.group(1).decode() if match else "utf-8")


def test_every_miwg_model_opens_and_saves_back_in_the_designer(page, world_server, world):
    problems = watch(page)
    log_in(page, world_server, "so_cv")
    page.goto(f"{world_server.url}/designer")
    wait_status(page, "Quy trình hợp lệ: có thể triển khai.")
    models = sorted(MIWG.glob("*.bpmn"))
    assert len(models) == 21
    lost = {}
    for model in models:  # one page session: the same editor opens each in turn
        source = model.read_bytes()
        saved = page.evaluate(f"async xml => {{ await {EDITOR}.open(xml); return {EDITOR}.save(); }}", _declared_text(source))
        before, after = _ids_and_types(source), _ids_and_types(saved.encode())
        assert len(before) > 10, model.name
        missing = {i: t for i, t in before.items() if after.get(i) != t}
        if missing:
            lost[model.name] = missing
    assert lost == {}
    # bpmn-js reports what it cannot read in some files (warnings), never errors.
    assert [p for p in problems if not p.startswith("warning")] == []


def test_elements_the_engine_does_not_run_are_marked_when_opened(page, world_server, world):
    problems = watch(page)
    log_in(page, world_server, "so_cv")
    page.goto(f"{world_server.url}/designer")
    wait_status(page, "Quy trình hợp lệ: có thể triển khai.")
    # B.2.0 has service tasks, message and conditional events, a data store… which the engine does not run.
    xml = _declared_text((MIWG / "B.2.0.bpmn").read_bytes())
    page.evaluate(f"async xml => {{ await {EDITOR}.open(xml); document.querySelector('[data-gv-check]').click(); }}", xml)
    page.wait_for_function("() => /^Có \\d+ lỗi/.test(document.querySelector('[data-gv-status]').textContent)")
    listed = page.locator("[data-gv-problems] li")
    assert listed.count() > 5
    texts = listed.all_text_contents()
    assert any("bpmn:serviceTask chưa được hỗ trợ" in t for t in texts)
    marked = page.locator(".djs-element.gv-problem")
    assert marked.count() > 3
    first_marked = marked.first.get_attribute("data-element-id")
    assert any(t.startswith(first_marked) for t in texts)
    listed.first.get_by_role("button", name="Xem phần tử").click()
    check_accessibility(page)
    screenshot(page, "webui_designer_problems")
    assert [p for p in problems if not p.startswith("warning")] == []
