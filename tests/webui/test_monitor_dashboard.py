"""The monitor and the dashboard in the web app (Flask's test client, both databases), on the
seeded world of ``tests/webui/monitor_world.py``: who may open them, their numbers against SQL
hand counts, XLSX exports, and incidents retried, closed and cancelled one by one and in bulk."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import and_, func, not_, or_, select

from engine import (
    AuditEvent,
    FrozenClock,
    HumanTask,
    Incident,
    Instance,
    ProcessDefinition,
    ProcessEngine,
)
from tests.fixtures.webapp import csrf_token, login, web_config
from tests.webui.monitor_world import (
    ADMIN,
    COMMUNE_LEADER,
    FIGURES,
    INSPECTOR,
    MARKUP,
    ON,
    PHONG_LEADER,
    SCHOOL_OFFICER,
    SO_LEADER,
    SO_OFFICER,
    MonitorWorld,
    build,
)
from webui import create_app
from workflows.org.models import OrgUnit
from workflows.timeframes import LOCAL_TZ
from workflows.tracking.models import Tracking


@pytest.fixture
def world(pe: ProcessEngine, clock: FrozenClock) -> MonitorWorld:
    return build(pe, clock)


@pytest.fixture
def web(pe: ProcessEngine, world: MonitorWorld) -> Flask:
    return create_app(web_config(pe))


def as_(web: Flask, username: str) -> FlaskClient:
    client = web.test_client()
    assert login(client, username).status_code in (302, 303)
    return client


def refusals(pe: ProcessEngine, username: str) -> list[dict]:
    with pe.read() as s:
        return [e.data for e in s.scalars(select(AuditEvent).where(AuditEvent.event == "action_refused", AuditEvent.actor == username))]


# --- who ----------------------------------------------------------------------------------------


def test_both_pages_need_a_login(web):
    client = web.test_client()
    for path in ("/monitor", "/dashboard", "/dashboard/export/units.xlsx", "/monitor/processes/giao_nhiem_vu/1"):
        response = client.get(path)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"], path


@pytest.mark.parametrize(("username", "status"), [
    (ADMIN, 200), (INSPECTOR, 200), (SO_LEADER, 200), (SO_OFFICER, 403), (PHONG_LEADER, 403), (SCHOOL_OFFICER, 403),
])  # fmt: skip
def test_the_monitor_is_for_admins_inspectors_and_the_sos_leaders(pe, web, username, status):
    client = as_(web, username)
    response = client.get("/monitor")
    assert response.status_code == status
    link = 'href="/monitor"' in client.get("/dashboard").get_data(as_text=True)
    assert link == (status == 200)  # the dashboard (and, for admins and inspectors, the menu) links it
    if status == 403:
        assert "giám sát quy trình" in response.get_data(as_text=True)
        assert [r["action"] for r in refusals(pe, username)] == ["view_monitor"]


def test_who_reads_which_units_dashboard(pe, web):
    for username in (ADMIN, INSPECTOR, SO_OFFICER, PHONG_LEADER):  # the whole province
        page = as_(web, username).get("/dashboard")
        assert page.status_code == 200 and "Bảng điều khiển: Sở Giáo dục và Đào tạo" in page.get_data(as_text=True), username
    school = as_(web, SCHOOL_OFFICER)
    own = school.get("/dashboard").get_data(as_text=True)
    assert "Bảng điều khiển: Trường THCS" in own  # their own school only
    refused = school.get("/dashboard?unit=HP")
    assert refused.status_code == 403 and "nằm ngoài phạm vi" in refused.get_data(as_text=True)
    assert school.get("/dashboard/export/units.xlsx?unit=HP.X001").status_code == 403
    commune = as_(web, COMMUNE_LEADER)
    assert commune.get("/dashboard?unit=HP.X001.THCS01").status_code == 200  # drill down below itself
    assert commune.get("/dashboard?unit=HP.THPT001").status_code == 403  # not beside itself
    assert commune.get("/dashboard?unit=NO.SUCH").status_code == 403
    assert [r["action"] for r in refusals(pe, SCHOOL_OFFICER)] == ["view_dashboard", "view_dashboard"]
    assert len(refusals(pe, COMMUNE_LEADER)) == 2


# --- the monitor's numbers ----------------------------------------------------------------------


def _attribute(body: str, name: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(rf"{name}='([^']*)'", body)]


def test_version_counts_and_times_equal_a_hand_count(pe, web, world):
    body = as_(web, SO_LEADER).get("/monitor/processes/giao_nhiem_vu/1").get_data(as_text=True)
    [counts] = [json.loads(v) for v in _attribute(body, "data-counts")]
    with pe.read() as s:
        ours = select(Instance.id).join(ProcessDefinition).where(ProcessDefinition.key == "giao_nhiem_vu")
        open_tasks = s.execute(
            select(HumanTask.element_id, func.count()).where(HumanTask.status == "open", HumanTask.instance_id.in_(ours)).group_by(HumanTask.element_id)
        ).all()
        late = dict(s.execute(
            select(HumanTask.element_id, func.count())
            .where(HumanTask.status == "open", HumanTask.instance_id.in_(ours), HumanTask.due_at <= ON).group_by(HumanTask.element_id)
        ).all())  # fmt: skip
        review = s.scalars(select(HumanTask).where(HumanTask.element_id == "xem_xet_gia_han", HumanTask.status == "completed")).all()
    assert counts == {e: {"waiting": n, "late": late.get(e, 0), "incidents": 0} for e, n in open_tasks}
    assert counts["tiep_nhan"]["waiting"] == 25 and counts["ky_duyet"] == {"waiting": 2, "late": 2, "incidents": 0}
    # Extension reviews: asked 25/03 09:00, granted 28/03 09:00 (3 days); asked 31/03, granted 02/04 (2 days).
    assert sorted((t.completed_at - t.created_at).days for t in review) == [2, 3]
    assert re.search(r'data-element="xem_xet_gia_han">.*?2 ngày 12 giờ', body, re.S)  # their average
    versions = as_(web, ADMIN).get("/monitor").get_data(as_text=True)
    assert re.search(r"su_co</code>.*?>3</td>.*?>0</td>.*?>0</td>.*?>3</span>", versions, re.S)  # 3 running, 3 incidents


def test_an_instance_page_shows_its_steps_variables_as_text_and_history(pe, web, world):
    client = as_(web, INSPECTOR)
    body = client.get(f"/monitor/instances/{world.lead['3']}").get_data(as_text=True)
    assert 'data-highlight="thuc_hien"' in body and "Quá hạn" in body
    assert "task_completed" in body and "Thiếu số liệu" in body  # the history, with the return's reason
    failing = client.get(f"/monitor/instances/{world.failing[0]}").get_data(as_text=True)
    assert html.escape(MARKUP) in failing.replace("&#39;", "&#x27;") and MARKUP not in failing
    assert "ZeroDivisionError" in failing
    assert 'name="act"' not in failing  # an inspector reads: no buttons
    assert client.get("/monitor/instances/00000000-0000-0000-0000-000000000000").status_code == 404


# --- incidents ------------------------------------------------------------------------------------


def _incidents(pe: ProcessEngine) -> dict[int, tuple[str, str | None]]:
    with pe.read() as s:
        return {i.id: (i.status, i.resolution) for i in s.scalars(select(Incident))}


def _post(client: FlaskClient, act: str, ids: list[int] = (), **fields: str):
    token = csrf_token(client, "/monitor")
    return client.post("/monitor/incidents", data={"csrf_token": token, "act": act, "incident": [str(i) for i in ids], **fields})


def test_incidents_retried_closed_and_cancelled_one_by_one_and_in_bulk(pe, web, world):
    first, second, third = world.incidents
    inspector = as_(web, INSPECTOR)
    refused = _post(inspector, "cancel", [first, second], reason="thử")
    assert refused.status_code == 403 and "thanh tra chỉ được xem" in refused.get_data(as_text=True)
    assert [r["action"] for r in refusals(pe, INSPECTOR)] == ["cancel_instance"]
    assert _post(as_(web, SCHOOL_OFFICER), "retry", [first]).status_code == 403

    admin = as_(web, ADMIN)
    # Closing incidents of running instances is refused, item by item; nothing changes.
    page = admin.get(_post(admin, "resolve", [second, third], reason="Không cần nữa").headers["Location"]).get_data(as_text=True)
    assert page.count("Không xử lý được") == 2 and "đang chạy" in page
    assert _post(admin, "resolve", [second], reason="").status_code == 400  # a reason is required
    # Retried without a correction, the step fails again and stays an incident.
    page = admin.get(_post(admin, f"retry:{first}").headers["Location"]).get_data(as_text=True)
    assert f"Không xử lý được #{first}" in page and "ZeroDivisionError" in page
    # With the operator's correction (n = 4) it runs: the instance ends, the incident is closed.
    done = _post(admin, f"retry:{first}", correction='{"n": 4}', next=f"/monitor/instances/{world.failing[0]}")
    assert done.status_code == 303 and done.headers["Location"].endswith(str(world.failing[0]))
    # Bulk cancel: two done, one refused (an incident that does not exist), in one request.
    page = admin.get(_post(admin, "cancel", [second, 999_999, third], reason="Quy trình thử, dừng lại").headers["Location"]).get_data(as_text=True)
    assert "Đã xử lý 2 mục." in page and "Không xử lý được #999999" in page
    assert _incidents(pe) == {first: ("resolved", "retried"), second: ("resolved", "moot"), third: ("resolved", "moot")}
    with pe.read() as s:
        statuses = dict(s.execute(select(Instance.id, Instance.status).where(Instance.id.in_(world.failing))).all())
        taken = [e.data for e in s.scalars(select(AuditEvent).where(AuditEvent.event == "monitor_action_taken").order_by(AuditEvent.id))]
    assert [statuses[i] for i in world.failing] == ["completed", "cancelled", "cancelled"]
    assert [(t["action"], t["done"], sorted(t["failed"])) for t in taken] == [
        ("resolve_incident", [], [f"#{second}", f"#{third}"]),
        ("retry_incident", [], [f"#{first}"]),
        ("retry_incident", [f"#{first}"], []),
        ("cancel_instance", [f"#{second}", f"#{third}"], ["#999999"]),
    ]
    # Once closed, a retry is refused; the Sở's leader may act too.
    leader = as_(web, SO_LEADER)
    page = leader.get(_post(leader, "retry", [first]).headers["Location"]).get_data(as_text=True)
    assert f"Không xử lý được #{first}: Sự cố {first} đã được xử lý." in page


def test_a_forged_post_without_its_token_changes_nothing(pe, web, world):
    admin = as_(web, ADMIN)
    response = admin.post("/monitor/incidents", data={"act": "cancel", "incident": [str(world.incidents[0])], "reason": "x"})
    assert response.status_code == 400
    assert all(status == "open" for status, _ in _incidents(pe).values())


# --- the dashboard's numbers = a hand count ---------------------------------------------------------


def _hand_count(pe: ProcessEngine, unit_path: str | None = None) -> dict[str, int]:
    """The eight statuses of the lead units' work at ``ON``, counted here with plain conditions."""
    t = Tracking
    overdue_now = or_(and_(t.late_since.is_not(None), t.late_since <= ON), and_(t.due_at.is_not(None), t.due_at <= ON))
    done_late = or_(t.late_since.is_not(None), and_(t.due_at.is_not(None), t.completed_at > t.due_at))
    conditions = {
        "chua_tiep_nhan": and_(t.phase == "new"),
        "dang_thuc_hien_trong_han": and_(t.phase == "working", not_(overdue_now)),
        "dang_thuc_hien_qua_han": and_(t.phase == "working", overdue_now),
        "cho_duyet": t.phase == "submitted",
        "bi_tra_lai": t.phase == "returned",
        "hoan_thanh_dung_han": and_(t.phase == "approved", not_(done_late)),
        "hoan_thanh_qua_han": and_(t.phase == "approved", done_late),
        "da_huy": t.phase == "cancelled",
    }
    out = {}
    with pe.read() as s:
        for code, condition in conditions.items():
            query = select(func.count()).select_from(t).join(OrgUnit, OrgUnit.id == t.unit_id).where(t.role == "lead", condition)
            if unit_path is not None:
                query = query.where(OrgUnit.path.like(unit_path + "%"))
            out[code] = s.scalar(query)
    return out


def _sheet(client: FlaskClient, table: str, query: str = "") -> list[list]:
    response = client.get(f"/dashboard/export/{table}.xlsx{query}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    return [list(r) for r in rows[2:]]  # a title line, the headers, then the table


def test_the_dashboards_numbers_equal_a_hand_count(pe, web, world):
    client = as_(web, SO_LEADER)
    hand = _hand_count(pe)
    assert hand == {"chua_tiep_nhan": 25, "dang_thuc_hien_trong_han": 1, "dang_thuc_hien_qua_han": 0, "cho_duyet": 1,
                    "bi_tra_lai": 1, "hoan_thanh_dung_han": 1, "hoan_thanh_qua_han": 1, "da_huy": 0}  # fmt: skip
    assert {code: n for code, _, n in _sheet(client, "statuses")} == hand
    body = client.get("/dashboard").get_data(as_text=True)
    for code, n in hand.items():
        assert re.search(rf'data-status="{code}"><strong>{n}</strong>', body), code
    # Rates by hand: completed 2 (1 on time) over completed + open overdue (2 + 2).
    assert re.search(r'data-figure="on_time_rate">25 %<', body) and re.search(r'data-figure="completion_rate">50 %<', body)

    # Each unit below the Sở: its subtree's total, counted by hand; the sum is the Sở's total.
    with pe.read() as s:
        children = {u.code: u.path for u in s.scalars(select(OrgUnit).where(OrgUnit.parent_id == select(OrgUnit.id).where(OrgUnit.code == "HP").scalar_subquery()))}
    units = _sheet(client, "units")
    by_code = {row[0]: row for row in units}
    for code, path in children.items():
        if code in by_code:
            assert by_code[code][2] == sum(_hand_count(pe, path).values()), code
    assert by_code["HP"][2] == sum(hand.values()) == sum(row[2] for row in units[:-1])

    # Months: lead work whose deadline in force falls in March 2026 (Hà Nội), by hand.
    with pe.read() as s:
        march = s.scalar(select(func.count()).select_from(Tracking).where(
            Tracking.role == "lead", Tracking.due_at > datetime(2026, 3, 1, tzinfo=LOCAL_TZ),
            Tracking.due_at <= datetime(2026, 4, 1, tzinfo=LOCAL_TZ)))  # fmt: skip
    months = {row[0]: row for row in _sheet(client, "months", "?year=2026")}
    assert months["03/2026"][1] == march == 4

    # Drill down: a phòng's page counts its own work only.
    assert {c: n for c, _, n in _sheet(client, "statuses", "?unit=HP.VP")} == _hand_count(pe, children["HP.VP"])


def test_indicators_are_rolled_up_exactly_against_their_targets_and_milestones(pe, web, world):
    client = as_(web, ADMIN)
    [row] = [r for r in _sheet(client, "indicators") if r[1] == "1"]
    numerator, denominator = (sum(Decimal(v[i]) for v in FIGURES.values()) for i in (0, 1))
    # Headers: plan, STT, name, unit; then target, actual, verdict for 2026 and for 2030.
    target_2026, actual_2026, verdict_2026, target_2030, actual_2030, verdict_2030 = row[4:10]
    assert (target_2026, verdict_2026) == ("100%", "Chưa đạt")
    assert Decimal(str(actual_2026)).quantize(Decimal("0.0001")) == (numerator * 100 / denominator).quantize(Decimal("0.0001"))  # 50/52
    assert (target_2030, actual_2030, verdict_2030) == ("≥98%", None, "Chưa có số liệu")
    # The THPT alone: 40/40 = 100 %, met.
    [thpt] = [r for r in _sheet(client, "indicators", "?unit=HP.THPT001") if r[1] == "1"]
    assert (thpt[5], thpt[6]) == (100, "Đạt")


def test_exported_text_is_never_a_formula(pe, web, world):
    with pe.unit_of_work("tester") as uow:
        unit = uow.session.scalars(select(OrgUnit).where(OrgUnit.code == "HP.VP")).one()
        unit.name = "=HYPERLINK(\"http://x\")"
    response = as_(web, ADMIN).get("/dashboard/export/units.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == "=HYPERLINK(\"http://x\")"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_a_holder_of_the_sos_leaders_delegation_acts_on_their_behalf(pe, web, world):
    from datetime import date

    from workflows.org.commands import delegate

    with pe.unit_of_work("tester") as uow:
        delegate(uow, SO_LEADER, PHONG_LEADER, date(2026, 4, 1), date(2026, 4, 30))
    client = as_(web, PHONG_LEADER)
    assert client.get("/monitor").status_code == 200
    response = _post(client, "cancel", [world.incidents[0]], reason="Thay lãnh đạo Sở")
    assert response.status_code == 303
    with pe.read() as s:
        [taken] = s.scalars(select(AuditEvent).where(AuditEvent.event == "monitor_action_taken")).all()
    assert (taken.actor, taken.on_behalf_of, taken.data["done"]) == (PHONG_LEADER, SO_LEADER, [f"#{world.incidents[0]}"])
