"""The plan actions (``workflows.actions.plans``) on both databases: permission first and the
refusal recorded, names taught all or nothing, progress scoped to what a person may read, and
``giaoviec --actor`` naming a person who may not dispatch."""

from __future__ import annotations

from importlib import resources

import pytest
from sqlalchemy import func, select

from engine import AuditEvent, BadData, InvalidState, NotFound, ProcessEngine, deploy
from tests.engine.bpmn_samples import LIBRARY
from tests.test_cli import run
from tests.workflows.accounts.people import OFFICER, load_people
from workflows.actions import plans as actions
from workflows.actions.people import person_acting
from workflows.authz.model import NotAllowed
from workflows.authz.refusals import refusals_recorded
from workflows.cascade.amend import Amendment
from workflows.hooks import install
from workflows.org.models import UnitAlias
from workflows.plans.models import Plan

SO_OFFICER = "hp_vp_cv"
SEED = "hai_phong_2026_chuyen_doi_so.xlsx"


def seed() -> bytes:
    return resources.files("workflows.plans").joinpath("demo", SEED).read_bytes()


@pytest.fixture
def province(pe: ProcessEngine) -> ProcessEngine:
    install(pe)
    load_people(pe)
    with pe.unit_of_work("tester") as uow:
        for key in ("giao_nhiem_vu", "phoi_hop", "xa_phuong_trien_khai"):
            deploy(uow, (LIBRARY / f"{key}.bpmn").read_bytes())
    return pe


def refusals(pe: ProcessEngine) -> list[tuple[str, str]]:
    with pe.read() as s:
        return [(e.actor, e.data["action"]) for e in s.scalars(select(AuditEvent).where(AuditEvent.event == "action_refused"))]


def test_a_school_officer_is_refused_before_anything_and_the_refusal_is_in_the_unit_of_work(province):
    pe = province
    extracted = actions.read_plan_file(seed(), SEED)
    with pe.unit_of_work(OFFICER) as uow:
        me = person_acting(uow.session, OFFICER)
        with pytest.raises(NotAllowed) as refused:
            actions.import_plan(uow, me, extracted, SEED, actions.ImportOptions(2026))
        assert refused.value.message("vi").startswith("Bạn không có quyền nhập kế hoạch")
        with pytest.raises(NotAllowed):
            actions.name_units(uow, me, {"Sở KH&CN": actions.EXTERNAL})
    assert refusals(pe) == [(OFFICER, "import"), (OFFICER, "mark_external")]
    with pe.read() as s:
        assert s.scalar(select(func.count()).select_from(Plan)) == 0


def test_names_are_taught_all_or_none(province):
    pe = province
    with pe.unit_of_work(SO_OFFICER) as uow:
        me = person_acting(uow.session, SO_OFFICER)
        with pytest.raises(NotFound):
            actions.name_units(uow, me, {"Đơn vị CNTT": "HP.VP", "Phòng ma": "HP.KHONGCO"})
        aliases = uow.session.scalars(select(UnitAlias.alias).where(UnitAlias.alias == "Đơn vị CNTT")).all()
        assert aliases == []  # the first name went back with the second
        assert actions.name_units(uow, me, {"Đơn vị CNTT": "HP.VP", "Sở KH&CN": actions.EXTERNAL}) == ["HP.VP", "HP.NGOAI001"]
        with pytest.raises(InvalidState):  # the same body twice: its name is taken
            actions.name_units(uow, me, {"Sở KH&CN": actions.EXTERNAL})


def test_import_dispatch_and_progress_seen_from_the_so_and_from_a_school(province):
    pe = province
    with pe.unit_of_work(SO_OFFICER) as uow:
        me = person_acting(uow.session, SO_OFFICER)
        actions.name_units(uow, me, {"Đơn vị CNTT": "HP.VP", "Sở KH&CN": actions.EXTERNAL})
        plan, dry = actions.import_plan(uow, me, actions.read_plan_file(seed(), SEED), SEED,
                                        actions.ImportOptions(2026, number="637/KH-SGDĐT"))  # fmt: skip
        assert dry.unclear == 0 and len(dry.preview.tasks) == 30
        preview = actions.dispatch(uow, me, plan.id, dry_run=True)
        assert preview.created == preview.total > 0
        done = actions.dispatch(uow, me, plan.id)
        assert done.created == preview.total
        plan_id = plan.id
    with pe.unit_of_work(SO_OFFICER) as uow:
        page = actions.plan_page(uow, person_acting(uow.session, SO_OFFICER), plan_id)
        assert page.scope == "" and page.progress.total == done.total
        assert page.actions >= {"dispatch", "recheck", "import"}
    with pe.unit_of_work(OFFICER) as uow:
        page = actions.plan_page(uow, person_acting(uow.session, OFFICER), plan_id)
        assert page.actions == set() and page.scope == "Trường THCS Hồng Bàng"
        assert page.progress.total == 0  # nothing went to the school itself yet (its commune hands work down)
        rows = actions.visible_plans(uow.session, person_acting(uow.session, OFFICER), uow.now)
        assert [(r.number, r.tasks, r.dispatched) for r in rows] == [("637/KH-SGDĐT", 30, True)]
    assert refusals(pe) == []

    # Amending a dispatched task is the issuer's: a school is refused and nothing moves.
    cancel = Amendment(reason="Không còn phù hợp", cancel=True)
    with pytest.raises(NotAllowed), refusals_recorded(pe, OFFICER) as uow:
        actions.amend(uow, person_acting(uow.session, OFFICER), plan_id, "1", cancel)
    assert refusals(pe) == [(OFFICER, "amend")]
    with pe.unit_of_work(SO_OFFICER) as uow:
        result = actions.amend(uow, person_acting(uow.session, SO_OFFICER), plan_id, "1", cancel)
    assert result.cancelled > 0


def test_the_command_line_acts_as_the_person_its_actor_names(db_url, tmp_path):
    run(db_url, "org", "demo", "--communes", "1")
    path = tmp_path / SEED
    path.write_bytes(seed())
    refused = run(db_url, "--actor", "hp_x001_thcs01_cv", "plan", "import", str(path), "--year", "2026", check=False)
    assert refused.returncode == 1 and refused.stderr.startswith("Bạn không có quyền nhập kế hoạch")
    plan_id = run(db_url, "--actor", SO_OFFICER, "plan", "import", str(path), "--year", "2026").stdout.strip()
    assert run(db_url, "plan", "recheck", plan_id).stdout.startswith("OK, 4 nhiệm vụ")  # the console operator
    assert run(db_url, "plan", "exception", plan_id, "6", "--leader", "hp_ld", "--reason", "Giao sau khi có đơn vị CNTT").stdout == "OK\n"
    refused = run(db_url, "--actor", SO_OFFICER, "plan", "exception", plan_id, "9", "--leader", "hp_ld", "--reason", "x", check=False)
    assert refused.returncode == 1 and refused.stderr.startswith("Bạn không có quyền")  # an officer is not the leader
    refused = run(db_url, "--actor", "hp_x001_thcs01_cv", "plan", "dispatch", plan_id, check=False)
    assert refused.returncode == 1 and "Bạn không có quyền giao nhiệm vụ của kế hoạch" in refused.stderr


def test_a_bad_code_is_bad_data_not_a_crash(province):
    with province.unit_of_work(SO_OFFICER) as uow:
        me = person_acting(uow.session, SO_OFFICER)
        with pytest.raises(BadData):
            actions.map_unknown(uow, me, "Tên", "   ")


def test_only_a_leader_of_the_issuer_accepts_an_exception(province):
    pe = province
    with pe.unit_of_work(SO_OFFICER) as uow:
        me = person_acting(uow.session, SO_OFFICER)
        plan, _ = actions.import_plan(uow, me, actions.read_plan_file(seed(), SEED), SEED, actions.ImportOptions(2026))
        plan_id = plan.id
    with pe.unit_of_work(SO_OFFICER) as uow, pytest.raises(NotAllowed):
        actions.accept_exception(uow, person_acting(uow.session, SO_OFFICER), plan_id, "6", "Đồng ý")
    with pe.unit_of_work("hp_ld") as uow:
        actions.accept_exception(uow, person_acting(uow.session, "hp_ld"), plan_id, "6", "Đồng ý giao")
        page = actions.plan_page(uow, person_acting(uow.session, "hp_ld"), plan_id)
        assert [t.stt for t in page.tasks if not t.dispatchable] == ["9", "26", "29"]
    assert refusals(pe) == [(SO_OFFICER, "record_exception")]
