"""Plans in the web app (Flask's test client, both databases): the login gate, a Sở officer who
imports the Hải Phòng 2026 appendix (seed 001) with a dry run, names the two bodies it does not
know, saves and dispatches it; a school officer refused at every door, each refusal audited."""

from __future__ import annotations

import html
import io
import re
from importlib import resources

import openpyxl
import pytest
from sqlalchemy import func, select

from engine import AuditEvent, Instance, ProcessEngine, deploy
from tests.engine.bpmn_samples import LIBRARY
from tests.fixtures.webapp import csrf_token, login, web_config
from tests.workflows.accounts.people import OFFICER, load_people
from webui import create_app
from workflows.hooks import install
from workflows.plans.models import Plan

SO_OFFICER = "hp_vp_cv"  # Chuyên viên Văn phòng Sở: staff of the issuing unit's divisions
SEED = "hai_phong_2026_chuyen_doi_so.xlsx"
PROCESSES = ("giao_nhiem_vu", "phoi_hop", "xa_phuong_trien_khai")


def seed_bytes() -> bytes:
    return resources.files("workflows.plans").joinpath("demo", SEED).read_bytes()


@pytest.fixture
def ready(app, pe: ProcessEngine):
    """The tiny province (from ``app``), the domain's hooks and the process library deployed."""
    install(pe)
    with pe.unit_of_work("tester") as uow:
        for key in PROCESSES:
            deploy(uow, (LIBRARY / f"{key}.bpmn").read_bytes())
    return app


def text(response) -> str:
    return response.get_data(as_text=True)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"|type="hidden" name="{name}" value="([^"]*)"|'
                      rf'id="{name}" name="{name}" type="hidden" value="([^"]*)"', page)  # fmt: skip
    assert match, f"no hidden field {name}"
    return next(g for g in match.groups() if g is not None)


def upload(client, data: bytes, filename: str, **fields: str):
    token = csrf_token(client, "/plans/import")
    form = {"csrf_token": token, "year": "2026", **fields, "file": (io.BytesIO(data), filename)}
    return client.post("/plans/import", data=form, content_type="multipart/form-data")


def events(pe: ProcessEngine, name: str) -> list[AuditEvent]:
    with pe.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event == name).order_by(AuditEvent.id)))


def count(pe: ProcessEngine, model) -> int:
    with pe.read() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("path", ["/plans", "/plans/import", "/plans/1", "/plans/1/dispatch", "/plans/1/export.xlsx"])
def test_every_plans_page_sends_an_anonymous_visitor_to_the_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path}"


def test_a_so_officer_imports_the_hai_phong_appendix_maps_names_saves_and_dispatches(ready, client, pe):
    login(client, SO_OFFICER)
    listing = text(client.get("/plans"))
    assert "Chưa có kế hoạch nào." in listing and 'href="/plans/import"' in listing

    # A file that is no spreadsheet: a clear Vietnamese error, the typed fields kept, nothing stored.
    refused = upload(client, b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "ke-hoach.pdf", number="637/KH-SGDĐT")
    assert refused.status_code == 400
    page = text(refused)
    assert 'role="alert"' in page and "PDF" in page
    assert 'value="637/KH-SGDĐT"' in page and 'value="2026"' in page
    assert count(pe, Plan) == 0

    # The dry run: units resolved, timeframes read as periods, "6 rõ" problems highlighted.
    dry = upload(client, seed_bytes(), SEED)
    assert dry.status_code == 200
    page = text(dry)
    assert "<h1 id=\"review-title\">Xem trước kế hoạch</h1>" in page
    assert "<strong>30</strong> nhiệm vụ" in page and "<strong>4</strong> chưa đạt “6 rõ”" in page
    assert "<mark>Đơn vị CNTT</mark>" in page and "<mark>Sở KH&amp;CN</mark>" in page
    assert "Văn phòng Sở" in page and "Các phòng thuộc Sở" in page
    assert "4 kỳ, hạn đầu 01/04/2026" in page  # "Hàng quý": four quarters, Q1 due 1 April
    assert page.count('<tr class="unclear">') == 4 and "<strong>rõ trách nhiệm</strong>: Chưa xác định được đơn vị: Đơn vị CNTT." in page
    assert count(pe, Plan) == 0  # a dry run stores nothing

    # Name the two bodies, recheck: every task is clear now.
    form = {"csrf_token": hidden(page, "csrf_token"), "upload": hidden(page, "upload"), "filename": SEED, "year": "2026",
            "number": "", "title": "", "action": "recheck"}  # fmt: skip
    names = {k: html.unescape(v) for k, v in re.findall(r'name="(name-\d+)" value="([^"]+)"', page)}
    mapped = {key.replace("name", "map"): ("HP.VP" if value == "Đơn vị CNTT" else "external") for key, value in names.items()}
    rechecked = client.post("/plans/import/review", data={**form, **names, **mapped})
    assert rechecked.status_code == 200
    page = text(rechecked)
    assert "Đã ghi nhận 2 tên đơn vị. Kiểm tra lại: 0 nhiệm vụ chưa đạt “6 rõ”." in page
    assert "<mark>" not in page and 'class="unclear"' not in page
    assert [e.subject for e in events(pe, "unit_aliases_added")] == ["HP.VP"]
    assert [e.data["name"] for e in events(pe, "unit_created") if e.data["kind"] == "ngoai"] == ["Sở KH&CN"]
    assert count(pe, Plan) == 0

    # Save: a draft plan, its page with the dispatch button.
    saved = client.post("/plans/import/review", data={**form, "number": "637/KH-SGDĐT", "action": "save",
                                                      "title": "Kế hoạch chuyển đổi số năm 2026"})  # fmt: skip
    assert saved.status_code == 302
    plan_path = saved.headers["Location"]
    plan_id = int(plan_path.rsplit("/", 1)[1])
    page = text(client.get(plan_path))
    assert "Đã lưu kế hoạch “Kế hoạch chuyển đổi số năm 2026” với 30 nhiệm vụ." in page
    assert "637/KH-SGDĐT" in page and "Chưa giao" in page and "30 nhiệm vụ, 0 chưa đạt “6 rõ”" in page
    assert f'href="/plans/{plan_id}/dispatch"' in page
    assert [e.actor for e in events(pe, "plan_imported")] == [SO_OFFICER]

    # The dispatch preview counts per unit type and creates nothing; the dispatch creates as many.
    preview = text(client.get(f"/plans/{plan_id}/dispatch"))
    kinds = dict((label, int(n)) for label, n in re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td></tr>", preview))
    assert set(kinds) >= {"Phòng thuộc Sở", "UBND xã, phường, đặc khu"} and all(n > 0 for n in kinds.values())
    total = int(re.search(r'<td class="num"><strong>(\d+)</strong>', preview).group(1))
    assert total == sum(kinds.values())
    assert count(pe, Instance) == 0
    token = hidden(preview, "csrf_token")
    done = client.post(f"/plans/{plan_id}/dispatch", data={"csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"] == plan_path
    assert count(pe, Instance) >= total
    with pe.read() as s:
        assert s.get(Plan, plan_id).status == "dispatched"
    page = text(client.get(plan_path))
    assert "Đã giao kế hoạch:" in page and "Đã giao" in page
    assert f"<strong>{total}</strong> Chưa tiếp nhận" in page  # every instance due now is waiting to be accepted
    listing = text(client.get("/plans"))
    assert f'<a href="/plans/{plan_id}">Kế hoạch chuyển đổi số năm 2026</a>' in listing and '<td class="num" data-label="Số nhiệm vụ">30</td>' in listing
    assert [e.actor for e in events(pe, "plan_dispatched")] == [SO_OFFICER]
    assert events(pe, "action_refused") == []


def test_a_school_officer_may_read_plans_but_not_import_or_dispatch_and_each_refusal_is_audited(ready, client, pe):
    login(client, SO_OFFICER)
    upload(client, seed_bytes(), SEED)  # a dry run only: the plan below is saved by the domain
    from workflows.actions import plans as actions
    from workflows.actions.people import person_acting

    with pe.unit_of_work(SO_OFFICER) as uow:
        me = person_acting(uow.session, SO_OFFICER)
        plan, _ = actions.import_plan(uow, me, actions.read_plan_file(seed_bytes(), SEED), SEED, actions.ImportOptions(2026))
        plan_id = plan.id
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(client, OFFICER)
    listing = text(client.get("/plans"))
    assert f'href="/plans/{plan_id}"' in listing and 'href="/plans/import"' not in listing
    page = text(client.get(f"/plans/{plan_id}"))
    assert "PHỤ LỤC 1" in page and "/dispatch" not in page and "recheck" not in page
    # The export is the page's, over the school's own work (none yet): its scope says so.
    exported = client.get(f"/plans/{plan_id}/export.xlsx")
    assert exported.status_code == 200 and exported.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in exported.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(exported.data))
    assert dict(book["Thông tin"].iter_rows(values_only=True))["Phạm vi số liệu"] == "Trường THCS Hồng Bàng và các đơn vị trực thuộc"
    assert book["Tiến độ"].max_row == 31 and book["Chưa nộp"].max_row == 1  # 30 tasks; nobody owes anything yet
    assert client.get("/plans/999/export.xlsx").status_code == 404

    refused = client.get("/plans/import")
    assert refused.status_code == 403
    assert "Bạn không có quyền nhập kế hoạch" in text(refused)
    token = csrf_token(client, "/plans")
    assert upload(client, seed_bytes(), SEED).status_code == 403
    assert client.get(f"/plans/{plan_id}/dispatch").status_code == 403
    assert client.post(f"/plans/{plan_id}/dispatch", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/plans/{plan_id}/recheck", data={"csrf_token": token, "name-0": "Sở KH&CN", "map-0": "external"}).status_code == 403

    audited = [(e.actor, e.data["action"], e.subject) for e in events(pe, "action_refused")]
    assert audited == [
        (OFFICER, "import", "new plan of HP"),  # the form
        (OFFICER, "import", "new plan of HP"), (OFFICER, "import", "new plan of HP"),  # the form again, then the upload
        (OFFICER, "dispatch", f"plan {plan_id}"), (OFFICER, "dispatch", f"plan {plan_id}"),
        (OFFICER, "mark_external", "new plan of HP"),
    ]
    assert count(pe, Plan) == 1 and count(pe, Instance) == 0
    with pe.read() as s:
        assert s.get(Plan, plan_id).status == "draft"


def test_a_file_past_the_request_limit_is_refused_on_the_form_in_vietnamese(pe):
    load_people(pe)
    client = create_app(web_config(pe, MAX_CONTENT_LENGTH=50_000)).test_client()
    login(client, SO_OFFICER)
    response = upload(client, b"x" * 60_000, "lon.csv", number="1/KH")
    assert response.status_code == 413
    page = text(response)
    assert "Tệp quá lớn; giới hạn là 10 MB. Vui lòng chọn tệp khác." in page and 'name="file"' in page
    assert count(pe, Plan) == 0


def test_the_plans_pages_in_english(ready, client, pe):
    login(client, SO_OFFICER)
    client.get("/lang/en?next=/plans")
    page = text(client.get("/plans"))
    assert '<h1 id="plans-title">Plans</h1>' in page and "Import a plan from a file" in page and "No plan yet." in page
    page = text(upload(client, seed_bytes(), SEED))
    assert "Plan preview" in page and "<strong>4</strong> not meeting the “6 clear” rules" in page
    assert "4 periods, first due 01/04/2026" in page and "Unit names not recognised (2)" in page
