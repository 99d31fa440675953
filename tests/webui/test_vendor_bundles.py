"""The vendored front-end files (webui/static/vendor), as a page of the app uses them.

No npm here: the files are committed, and MANIFEST.json says what they are. The browser tests load
the demo pages of tests/webui/vendor_demo/ from a tiny local server that sends a strict
Content-Security-Policy (no inline script, no inline style), so a bundle that needs either fails
here before it fails in the app. Every console error or warning fails a test.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from engine.bpmn import EVENT_DEFINITIONS, FLOW_NODES, PROCESS_PARTS, TOP_LEVEL_PARTS
from tests.fixtures.axe import axe_violations
from tests.fixtures.browser import screenshot
from tests.fixtures.shared import MIWG

REPO = Path(__file__).resolve().parents[2]
VENDOR = REPO / "webui" / "static" / "vendor"
ASSETS = REPO / "webui" / "assets"
GV = "https://giaoviec.vn/schema/bpmn/1.0"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
# Upper bounds on what a page downloads, so that an upgrade that doubles a bundle is noticed.
SIZE_BUDGET = {
    "webui/static/vendor/bpmn-viewer.js": 300_000,
    "webui/static/vendor/bpmn-differ.js": 320_000,
    "webui/static/vendor/bpmn-modeler.js": 2_100_000,
    "webui/static/vendor/charts.js": 260_000,
    "webui/static/vendor/htmx.min.js": 70_000,
}
MIWG_MODELS = sorted(MIWG.glob("*.bpmn"))
# bpmn-js 18.31's own replace action calls an API diagram-js 15.28 deprecates; not ours to fix.
UPSTREAM_WARNINGS = ("ContextPad#getPad is deprecated",)


# --- the files themselves (no browser, no npm) -------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest() -> dict[str, Any]:
    return json.loads((VENDOR / "MANIFEST.json").read_text(encoding="utf-8"))


def test_manifest_matches_the_vendored_files():
    manifest = _manifest()
    built = {p for p in VENDOR.rglob("*") if p.is_file() and p.name not in {"MANIFEST.json", "README.md"}}
    built |= set((REPO / "tests" / "fixtures" / "axe").glob("axe.*"))
    assert sorted(manifest["files"]) == sorted(p.relative_to(REPO).as_posix() for p in built)
    for name, entry in manifest["files"].items():
        path = REPO / name
        assert (path.stat().st_size, _sha256(path)) == (entry["bytes"], entry["sha256"]), name
    lock = manifest["lockfile"]
    assert _sha256(REPO / lock["path"]) == lock["sha256"], "package-lock.json changed: run scripts/build-assets"
    for name, limit in SIZE_BUDGET.items():
        assert manifest["files"][name]["bytes"] < limit, name


def test_every_bundle_has_its_licences_beside_it():
    manifest = _manifest()
    for bundle, entry in manifest["bundles"].items():
        if not entry["packages"]:
            continue
        licences = next(REPO / f for f in manifest["files"] if f.endswith(f"/{bundle}.LICENSES.txt"))
        text = licences.read_text(encoding="utf-8")
        for package, version in entry["packages"].items():
            assert f"{package} {version} — " in text, (bundle, package)
    # bpmn-js's licence asks that its watermark stay visible: the licence text travels with it.
    assert "bpmn.io" in (VENDOR / "bpmn-modeler.LICENSES.txt").read_text(encoding="utf-8")


def test_package_versions_are_exact_and_locked():
    declared = json.loads((ASSETS / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ASSETS / "package-lock.json").read_text(encoding="utf-8"))
    wanted = {**declared["dependencies"], **declared["devDependencies"]}
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", version) for version in wanted.values()), wanted
    assert {name: lock["packages"][f"node_modules/{name}"]["version"] for name in wanted} == wanted
    assert _manifest()["dependencies"] == wanted


def test_designer_offers_what_the_engine_runs():
    offered = json.loads((ASSETS / "src" / "modeler" / "engine-elements.json").read_text(encoding="utf-8"))
    assert set(offered["flowNodes"]) == FLOW_NODES
    assert set(offered["eventDefinitions"]) == EVENT_DEFINITIONS
    assert set(offered["otherElements"]) <= PROCESS_PARTS | TOP_LEVEL_PARTS


# --- the demo pages, in Chromium --------------------------------------------------------------


class _DemoHandler(SimpleHTTPRequestHandler):
    """Serves the repository under the app's kind of Content-Security-Policy; echoes the headers
    of a POST to /echo-headers (the htmx test)."""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        super().end_headers()

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.dumps(dict(self.headers.items())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
        return


@pytest.fixture(scope="module")
def demo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_DemoHandler, directory=str(REPO)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Demo:
    """A demo page in the test's browser page, with every console error and warning kept."""

    READY = {
        "viewer": "document.querySelector('.gv-current') !== null",
        "modeler": "window.demo && demo.opened",
        "differ": "window.demo && demo.compared",
        "charts": "[...document.querySelectorAll('canvas')].every(c => c.gvChart)",
        "htmx": "window.htmx !== undefined",
    }

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

    def _console(self, message: Any) -> None:
        if message.type in {"error", "warning"} and not any(w in message.text for w in UPSTREAM_WARNINGS):
            self.errors.append(f"{message.type}: {message.text}")

    def open(self, name: str, query: str = "") -> Any:
        """Go to the page, wait until it is ready; return what its readiness promise resolved to."""
        self.page.goto(f"{self.base}/tests/webui/vendor_demo/{name}.html{query}")
        # Functions, not strings: Playwright polls a string predicate with eval, which the CSP refuses.
        self.page.wait_for_function(f"() => ({self.READY[name]})")
        return self.page.evaluate(f"async () => await ({self.READY[name]})")

    def evaluate(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)


@pytest.fixture
def demo(page: Any, demo_server: str) -> Demo:
    return Demo(page, demo_server)


def _element(page: Any, element_id: str, root: str = "") -> Any:
    return page.locator(f"{root} .djs-element[data-element-id='{element_id}']".strip())


def test_viewer_highlights_the_current_step_and_shows_counts(demo):
    demo.open("viewer")
    page = demo.page
    assert "gv-current" in _element(page, "thuc_hien").get_attribute("class")
    assert page.locator(".gv-current").count() == 1
    badges = page.locator(".gv-count")
    assert badges.all_text_contents() == ["12", "3", "1", "4"]
    assert badges.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))") == [
        "Đang chờ: 12", "Quá hạn: 3", "Sự cố: 1", "Đang chờ: 4",
    ]  # fmt: skip
    # The page's script can move the highlight; ids the diagram lacks come back.
    missing = demo.evaluate("document.querySelector('#diagram').gvViewer.highlight(['duyet_bao_cao', 'khong_co'])")
    assert missing == ["khong_co"]
    assert "gv-current" in _element(page, "duyet_bao_cao").get_attribute("class")
    assert "gv-current" not in _element(page, "thuc_hien").get_attribute("class")
    demo.evaluate("document.querySelector('#diagram').gvViewer.highlight(['thuc_hien'])")
    screenshot(page, "vendor_bpmn_viewer")
    assert demo.errors == []


def _open_group(page: Any, group_id: str) -> None:
    header = page.locator(f"[data-group-id='group-{group_id}'] .bio-properties-panel-group-header")
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def _wait_model(page: Any, expression: str) -> None:
    page.wait_for_function(f"() => {{ const m = demo.editor.bpmn, r = m.get('elementRegistry'); return {expression}; }}")


def _select(page: Any, element_id: str) -> None:
    page.evaluate("id => demo.editor.bpmn.get('selection').select(demo.editor.bpmn.get('elementRegistry').get(id))", element_id)


def test_modeler_edits_giaoviec_properties_in_vietnamese_and_exports_them(demo):
    # A fixed document with no giaoviec attributes yet (the library's steps have forms now).
    demo.open("modeler", "?src=/tests/webui/vendor_demo/giao_nhiem_vu_v2.bpmn")
    page = demo.page
    original = demo.evaluate("demo.editor.save()")
    _element(page, "tiep_nhan").click()
    assert page.locator(".bio-properties-panel-header-type").text_content() == "Công việc người dùng"

    _open_group(page, "giaoviec")
    page.get_by_label("Hạn xử lý: số ngày làm việc", exact=True).fill("5")
    page.get_by_label("Đôn đốc trước hạn (số ngày)", exact=True).fill("3,1")
    page.get_by_label("Leo thang sau (số ngày quá hạn)", exact=True).fill("2")
    _wait_model(page, "(r.get('tiep_nhan').businessObject.extensionElements?.values || []).length === 2")

    _open_group(page, "giaoviec-form")
    page.locator("[data-group-id='group-giaoviec-form'] .bio-properties-panel-add-entry").click()
    name = page.get_by_label("Tên trường (mã)", exact=True)
    name.fill("kết quả")
    page.get_by_text("Chỉ dùng chữ không dấu, chữ số và dấu _, không bắt đầu bằng chữ số").wait_for()
    name.fill("ket_qua")
    page.get_by_label("Nhãn", exact=True).fill("Kết quả thẩm định")
    page.get_by_label("Loại", exact=True).select_option(label="Lựa chọn")
    page.get_by_label("Bắt buộc", exact=True).check()
    page.get_by_label("Các giá trị", exact=True).fill("dat khong_dat")
    page.get_by_label("Độ dài tối đa", exact=True).fill("200")
    _wait_model(page, "r.get('tiep_nhan').businessObject.extensionElements.values.some("
                      "v => v.fields && v.fields[0].maxLength === 200 && v.fields[0].label === 'Kết quả thẩm định')")  # fmt: skip
    screenshot(page, "vendor_bpmn_modeler_gv_field")

    _select(page, "lane_chuyen_vien")
    _open_group(page, "giaoviec")
    page.get_by_label("Vai trò", exact=True).select_option(label="Chuyên viên")
    page.get_by_label("Bên thực hiện (đơn vị nào)", exact=True).select_option(label="Đơn vị giao việc")
    _wait_model(page, "r.get('lane_chuyen_vien').businessObject.extensionElements?.values[0].party === 'assigning'")

    root = etree.fromstring(demo.evaluate("demo.editor.save()").encode())
    ns = {"bpmn": BPMN, "gv": GV}
    [field] = root.findall(".//bpmn:userTask[@id='tiep_nhan']/bpmn:extensionElements/gv:form/gv:field", ns)
    assert dict(field.attrib) == {"name": "ket_qua", "type": "choice", "required": "true", "values": "dat khong_dat",
                                  "maxLength": "200", "label": "Kết quả thẩm định"}  # fmt: skip
    [deadline] = root.findall(".//bpmn:userTask[@id='tiep_nhan']//gv:deadline", ns)
    assert dict(deadline.attrib) == {"workingDays": "5"}
    [escalation] = root.findall(".//bpmn:userTask[@id='tiep_nhan']//gv:escalation", ns)
    assert dict(escalation.attrib) == {"remindBefore": "3,1", "escalateAfter": "2"}
    [lane] = root.findall(".//bpmn:lane[@id='lane_chuyen_vien']/bpmn:extensionElements/gv:lane", ns)
    assert dict(lane.attrib) == {"role": "officer", "party": "assigning"}

    # Every edit went through the command stack: undoing them all gives back the document opened.
    undone = demo.evaluate("() => { const s = demo.editor.bpmn.get('commandStack'); let n = 0;"
                           " while (s.canUndo()) { s.undo(); n++; } return n; }")  # fmt: skip
    assert undone >= 9
    assert demo.evaluate("demo.editor.save()") == original and GV not in original
    assert demo.evaluate("demo.editor.missingTranslations()") == []
    assert demo.errors == []


# Select one element of each kind (and event definition), open its replace menu and every group
# of the properties panel: whatever bpmn-js shows must have its Vietnamese.
_VISIT_EACH_KIND = """async xml => {
  await demo.editor.open(xml);
  const m = demo.editor.bpmn, seen = new Set(), popupMenu = m.get('popupMenu');
  const kinds = m.get('elementRegistry').filter(e => {
    const kind = e.type + (e.businessObject.eventDefinitions || []).map(d => d.$type).join();
    return e.type !== 'label' && !seen.has(kind) && seen.add(kind);
  });
  const pause = () => new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve)));
  for (const element of kinds) {
    m.get('selection').select(element);
    if (!popupMenu.isEmpty(element, 'bpmn-replace')) {
      popupMenu.open(element, 'bpmn-replace', {x: 100, y: 100});
      popupMenu.close();
    }
    await pause();
    document.querySelectorAll('.bio-properties-panel-group-header:not(.open)').forEach(h => h.click());
    await pause();
    document.querySelectorAll('.bio-properties-panel-collapsible-entry-header').forEach(h => h.click());
    await pause();
  }
  return kinds.length;
}"""


def test_modeler_translates_everything_it_shows(demo):
    demo.open("modeler")
    models = [REPO / "bpmn" / "giao_nhiem_vu.bpmn", MIWG / "B.2.0.bpmn", MIWG / "C.4.0.bpmn"]
    visited = sum(demo.evaluate(_VISIT_EACH_KIND, _declared_text(model.read_bytes())) for model in models)
    assert visited > 50
    assert demo.evaluate("demo.editor.missingTranslations()") == []
    assert demo.errors == []


def test_modeler_speaks_english_on_an_english_page(demo):
    demo.open("modeler", "?lang=en")
    page = demo.page
    _element(page, "thuc_hien").click()
    assert page.locator(".bio-properties-panel-header-type").text_content() == "User Task"
    _open_group(page, "giaoviec")
    assert page.get_by_label("Deadline: working days", exact=True).count() == 1
    assert page.locator(".djs-palette .entry[data-action='create.user-task']").get_attribute("aria-label") == "Create user task"
    screenshot(page, "vendor_bpmn_modeler_english")
    assert demo.errors == []


PALETTE = [
    "hand-tool", "lasso-tool", "space-tool", "global-connect-tool",
    "create.start-event", "create.timer-start-event", "create.intermediate-event",
    "create.timer-intermediate-event", "create.end-event",
    "create.exclusive-gateway", "create.parallel-gateway", "create.inclusive-gateway", "create.event-based-gateway",
    "create.user-task", "create.manual-task", "create.script-task", "create.subprocess-expanded", "create.call-activity",
    "create.data-object", "create.participant-expanded", "create.text-annotation", "create.group",
]  # fmt: skip


def _replace_menu(page: Any, element_id: str) -> list[str]:
    _element(page, element_id).click()
    page.locator(".djs-context-pad .entry[data-action='replace']").click()
    entries = page.locator(".djs-popup .entry")
    entries.first.wait_for()
    return entries.evaluate_all("els => els.map(e => e.dataset.id)")


def test_modeler_palette_and_menus_offer_what_the_engine_runs(demo):
    demo.open("modeler")
    page = demo.page
    assert page.locator(".djs-palette .entry[data-action]").evaluate_all("els => els.map(e => e.dataset.action)") == PALETTE
    assert page.locator(".djs-palette .entry[data-action='create.user-task']").get_attribute("aria-label") == "Tạo công việc người dùng"

    task_menu = _replace_menu(page, "thuc_hien")
    assert {"replace-with-manual-task", "replace-with-script-task", "replace-with-call-activity"} <= set(task_menu)
    refused = {"replace-with-service-task", "replace-with-send-task", "replace-with-receive-task", "replace-with-rule-task"}
    assert refused.isdisjoint(task_menu)
    assert page.locator(".djs-popup .entry[data-id='replace-with-manual-task']").text_content().strip() == "Công việc thủ công"
    screenshot(page, "vendor_bpmn_modeler_replace_menu")
    page.keyboard.press("Escape")

    end_menu = _replace_menu(page, "hoan_thanh")
    assert "replace-with-terminate-end" in end_menu and "replace-with-message-end" not in end_menu
    assert demo.errors == []


def test_modeler_marks_problems_on_their_elements(demo):
    demo.open("modeler")
    page = demo.page
    problems = [
        {"element_id": "thuc_hien", "message": "Công việc người dùng phải nằm trong một làn (lane) ứng với một vai trò."},
        {"element_id": "thuc_hien", "message": "Hẹn giờ không đọc được: P1X."},
        {"element_id": "giao_nhiem_vu", "message": "Không có quy trình nào được đánh dấu có thể thực thi."},
        {"element_id": None, "message": "Tệp không phải văn bản XML."},
    ]
    unplaced = demo.evaluate("problems => demo.editor.showProblems(problems)", problems)
    assert [p["element_id"] for p in unplaced] == ["giao_nhiem_vu", None]  # for the page to list
    assert "gv-problem" in _element(page, "thuc_hien").get_attribute("class")
    badge = page.locator(".gv-problem-badge")
    assert badge.count() == 1
    badge.focus()
    assert page.locator(".gv-problem-text li").all_text_contents() == [problems[0]["message"], problems[1]["message"]]
    assert page.locator(".gv-problem-text").is_visible()
    assert demo.evaluate("demo.editor.focus('thuc_hien')") is True
    screenshot(page, "vendor_bpmn_modeler_problems")
    demo.evaluate("demo.editor.clearProblems()")
    assert page.locator(".gv-problem-badge").count() == 0
    assert demo.errors == []


def test_differ_colours_each_kind_of_change_with_a_legend(demo):
    result = demo.open("differ")
    page = demo.page
    assert "luu_ho_so" in [item["id"] for item in result["added"]]
    assert "da_ghi_nhan_qua_han" in [item["id"] for item in result["removed"]]
    [changed] = [item for item in result["changed"] if item["id"] == "ky_duyet"]
    assert {"attribute": "name", "oldValue": "Ký duyệt", "newValue": "Ký duyệt và ban hành"} in changed["attrs"]
    assert "hoan_thanh" in [item["id"] for item in result["moved"]]

    def stroke(root: str, element_id: str) -> str:
        visual = _element(page, element_id, root).locator(".djs-visual > :first-child")
        return visual.evaluate("el => getComputedStyle(el).stroke")

    assert stroke("#right", "luu_ho_so") == "rgb(21, 128, 61)"  # added: green
    assert stroke("#left", "da_ghi_nhan_qua_han") == "rgb(185, 28, 28)"  # removed: red
    assert stroke("#left", "ky_duyet") == stroke("#right", "ky_duyet") == "rgb(180, 83, 9)"  # changed: amber
    assert stroke("#right", "hoan_thanh") == "rgb(29, 78, 216)"  # moved: blue
    legend = page.locator("#legend li").all_text_contents()
    assert legend[0] == f"Thêm mới: {len(result['added'])}" and legend[1].startswith("Đã xóa: ")

    # The two viewers move together.
    demo.evaluate("demo.differ.right.get('canvas').zoom(1.5, {x: 200, y: 200})")
    boxes = demo.evaluate("['left', 'right'].map(s => { const b = demo.differ[s].get('canvas').viewbox();"
                          " return [b.x, b.y, b.width, b.height].map(Math.round); })")  # fmt: skip
    assert boxes[0] == boxes[1]
    demo.evaluate("demo.differ.right.get('canvas').zoom('fit-viewport')")
    screenshot(page, "vendor_bpmn_differ")
    assert demo.errors == []


def test_charts_draw_bar_and_line_charts(demo):
    demo.open("charts")
    page = demo.page
    charts = demo.evaluate("[...document.querySelectorAll('canvas')].map(c => [c.id, c.gvChart.config.type,"
                           " c.getAttribute('role'), c.getAttribute('aria-label')])")  # fmt: skip
    assert [c[:3] for c in charts] == [["by-unit", "bar", "img"], ["by-month", "line", "img"]]
    assert charts[1][3] == "Nhiệm vụ theo tháng năm 2026"  # taken from the chart's title
    painted = demo.evaluate("[...document.querySelectorAll('canvas')].map(c => { const d = c.getContext('2d')"
                            ".getImageData(0, 0, c.width, c.height).data; let n = 0;"
                            " for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; })")  # fmt: skip
    assert all(count > 5_000 for count in painted), painted
    # Numbers in Vietnamese: a thousands dot.
    assert demo.evaluate("document.querySelector('#by-month').gvChart.scales.y.ticks.map(t => t.label)")[-1] == "1.400"
    screenshot(page, "vendor_charts")
    assert demo.errors == []


def test_htmx_requests_carry_the_csrf_token(demo):
    demo.open("htmx")
    page = demo.page
    page.get_by_role("button", name="Gửi").click()
    page.wait_for_function("() => document.querySelector('#result').textContent.length > 0")
    headers = json.loads(page.text_content("#result"))
    assert headers["X-CSRFToken"] == "demo-token-123"
    assert headers["HX-Request"] == "true"
    assert demo.errors == []


@pytest.mark.parametrize("name", ["viewer", "modeler", "differ", "charts"])
def test_demo_pages_pass_an_accessibility_scan(demo, name):
    demo.open(name)
    assert axe_violations(demo.page) == []
    assert demo.errors == []


def _ids_and_types(xml: bytes) -> dict[str, str]:
    """Every element with an id: id -> its qualified name, semantic (BPMN) and diagram (DI) alike."""
    return {el.get("id"): el.tag for el in etree.fromstring(xml).iter() if isinstance(el.tag, str) and el.get("id")}


def _declared_text(xml: bytes) -> str:
    match = re.match(rb"<\?xml[^>]*encoding=[\"']([A-Za-z0-9_-]+)", xml)
    return xml.decode(match.group(1).decode() if match else "utf-8")


@pytest.mark.parametrize("model", MIWG_MODELS, ids=[m.name for m in MIWG_MODELS])
def test_miwg_model_opens_and_saves_without_losing_elements(demo, model):
    demo.open("modeler")
    source = model.read_bytes()
    saved = demo.evaluate("async xml => { await demo.editor.open(xml); return demo.editor.save(); }", _declared_text(source))
    before, after = _ids_and_types(source), _ids_and_types(saved.encode())
    lost = {i: t for i, t in before.items() if after.get(i) != t}
    assert lost == {}
    assert len(before) > 10
    # bpmn-js reports what it could not read (an unsupported encoding name, a dangling DI edge):
    # warnings, never errors.
    assert [e for e in demo.errors if not e.startswith("warning")] == []


def test_miwg_models_are_all_here():
    assert len(MIWG_MODELS) == 21
