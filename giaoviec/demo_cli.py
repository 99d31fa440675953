"""``giaoviec demo`` and ``giaoviec demo load``: a province to try the app with, as a Sở would set
it up — every step through the same doors people use, so the demo shows what they will see.

Migrate; build the demo province (``workflows.org.demo``); deploy the process library; import the
Hải Phòng 2026 appendix (``workflows.plans.demo``); name the two bodies it uses that the province
does not know, as a clerk would on the plan page (``Đơn vị CNTT`` is the Văn phòng's IT team;
``Sở KH&CN`` is outside the sector), recheck and dispatch it (``workflows.actions.plans``); then
one commune (the demo school's) accepts its soonest task and hands it to its schools
(``workflows.actions.tasks``, as its officer), so the demo school's people have plan work in
their inbox. Each step looks at what is already there first: running it again changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, select

import engine
from giaoviec.shell import Context, handled
from workflows.actions import plans as plan_actions
from workflows.actions import tasks as task_actions
from workflows.actions.people import user_named
from workflows.org.demo import DemoShape, build_demo_province, demo_logins, username
from workflows.org.models import OrgUnit
from workflows.plans.demo import DEMO_PLAN_NUMBER, import_demo_plan
from workflows.plans.models import Plan
from workflows.tracking.models import Tracking

LIBRARY = Path(__file__).resolve().parent.parent / "bpmn"
# The appendix's names the demo province does not know, and what they are (a unit code, or a
# body outside the sector).
DEMO_NAMES = {"Đơn vị CNTT": f"{DemoShape.code}.VP", "Sở KH&CN": plan_actions.EXTERNAL}


def library_option(func: Any) -> Any:
    return click.option("--library", type=click.Path(file_okay=False, path_type=Path), default=LIBRARY, show_default=True)(func)


@click.group(invoke_without_command=True)
@library_option
@click.pass_context
@handled
def demo(click_ctx: click.Context, library: Path) -> None:
    """Khởi tạo CSDL, tỉnh mẫu, thư viện quy trình và kế hoạch mẫu đã giao (chạy lại được).

    'giaoviec demo load' làm như vậy, rồi đặt mật khẩu cho người dùng mẫu và in tài khoản thử."""
    if click_ctx.invoked_subcommand is None:
        load_demo(click_ctx.obj, library)


@demo.command("load")
@library_option
@click.pass_obj
@handled
def demo_load(ctx: Context, library: Path) -> None:
    """Như 'giaoviec demo', rồi đặt mật khẩu cho người dùng mẫu và in một tài khoản thử mỗi vai trò.

    Mật khẩu: GIAOVIEC_DEMO_PASSWORD, hoặc một mật khẩu ngẫu nhiên in ra một lần (lần chạy sau
    giữ nguyên mật khẩu đã đặt)."""
    from giaoviec.demo_logins import print_demo_logins, set_demo_password
    from workflows.accounts.passwords import check_policy

    chosen = os.environ.get("GIAOVIEC_DEMO_PASSWORD")
    if chosen is not None:
        check_policy(chosen, "")  # refuse a bad password before changing anything
    load_demo(ctx, library)
    how = set_demo_password(ctx, chosen)
    print_demo_logins(ctx, how, os.environ.get("GIAOVIEC_BASE_URL", "http://127.0.0.1:5000"))


def load_demo(ctx: Context, library: Path) -> None:
    engine.upgrade(ctx.engine.db)
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        if uow.session.scalars(select(OrgUnit).where(OrgUnit.code == DemoShape.code)).first() is None:
            build_demo_province(uow)
            click.echo("Tỉnh mẫu: đã tạo")
        for path in sorted(library.glob("*.bpmn")):
            for d in engine.deploy(uow, path.read_bytes(), source_name=path.name):
                click.echo(f"{d.key} v{d.version}")
        plan_id = import_demo_plan(uow, ctx.engine.clock.now().year).id
    with ctx.engine.unit_of_work(ctx.actor) as uow:
        click.echo(dispatch_demo_plan(uow, plan_id))
    line = hand_to_schools(ctx.engine, plan_id, f"{DemoShape.code}.X001")
    if line:
        click.echo(line)
    school = demo_logins()["officer"]
    click.echo(f"Cơ sở dữ liệu: {ctx.engine.db.url.render_as_string(hide_password=True)}")
    click.echo(f"Thử tiếp / next: giaoviec inbox --as {school} ; giaoviec task accept TASK_ID --as {school} ; "
               f"giaoviec status --plan {plan_id} ; giaoviec audit verify")  # fmt: skip


def dispatch_demo_plan(uow: engine.UnitOfWork, plan_id: int) -> str:
    """Name the bodies the province does not know, recheck and dispatch, once (as the console
    operator); the line that says what the plan is now."""
    plan = uow.session.get(Plan, plan_id)
    assert plan is not None
    label = f"Kế hoạch mẫu {DEMO_PLAN_NUMBER}: #{plan_id}"
    if plan.status != "draft":
        return f"{label}, đã giao / dispatched"
    unknown = plan_actions.unknown_names(uow.session, plan_id)
    plan_actions.name_units(uow, None, {name: DEMO_NAMES[name] for name in unknown if name in DEMO_NAMES})
    plan_actions.recheck(uow, None, plan_id)
    result = plan_actions.dispatch(uow, None, plan_id)
    return f"{label}, đã giao / dispatched: {result.created} phiên bản quy trình, {result.scheduled} kỳ sau chờ mở"


def hand_to_schools(pe: engine.ProcessEngine, plan_id: int, commune_code: str) -> str | None:
    """The commune's officer accepts its plan task with the soonest deadline and hands it to all
    its schools (in their name, as the audit trail shows); nothing if the commune has already
    handed one on, or has none."""
    officer_name = username(commune_code, "cv")
    with pe.unit_of_work(officer_name) as uow:
        session = uow.session
        rows = session.scalars(
            select(Tracking).where(Tracking.plan_id == plan_id, Tracking.unit_code == commune_code, Tracking.role == "ward")
        ).all()
        if not rows or any(r.n_children for r in rows):
            return None
        first = min(rows, key=lambda r: (r.due_at is None, r.due_at, r.task_key or ""))
        officer = user_named(session, officer_name)
        for _ in range(2):  # tiếp nhận, then giao cho các trường
            [task] = session.scalars(select(engine.HumanTask).where(engine.HumanTask.instance_id == first.instance_id,
                                                                    engine.HumanTask.status == "open")).all()  # fmt: skip
            if task.element_id == "tiep_nhan":
                task_actions.accept(uow, officer, task.id)
            elif task.element_id == "giao_cho_truong":
                task_actions.submit(uow, officer, task.id, data={"noi_dung_giao": "Đề nghị các trường triển khai và báo cáo đúng hạn."})
        schools = session.scalar(select(func.count()).select_from(Tracking).where(Tracking.parent_id == first.instance_id))
    return f"{commune_code}: giao nhiệm vụ {first.task_key} cho {schools} trường / handed task {first.task_key} to {schools} schools"
