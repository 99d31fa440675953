"""The demo plan: the Hải Phòng 2026 digital-transformation plan's appendices (seed 001)."""

from __future__ import annotations

from importlib import resources

from sqlalchemy import select

from engine import UnitOfWork
from workflows.org.models import OrgUnit
from workflows.plans.extract import extract_plan
from workflows.plans.importing import PlanHeader, preview, store_plan
from workflows.plans.models import Plan

DEMO_PLAN_NUMBER = "637/KH-SGDĐT"
DEMO_FILE = "hai_phong_2026_chuyen_doi_so.xlsx"


def import_demo_plan(uow: UnitOfWork, year: int, root_code: str = "HP") -> Plan:
    """Import the demo plan into the demo province once; later calls return the stored plan."""
    root = uow.session.scalars(select(OrgUnit).where(OrgUnit.code == root_code)).one()
    existing = uow.session.scalars(select(Plan).where(Plan.root_id == root.id, Plan.number == DEMO_PLAN_NUMBER)).first()
    if existing is not None:
        return existing
    data = resources.files("workflows.plans").joinpath("demo", DEMO_FILE).read_bytes()
    authority = f"Lãnh đạo {root.name}"
    result = preview(uow.session, root, extract_plan(data, DEMO_FILE), year, default_authority=authority)
    header = PlanHeader("Kế hoạch chuyển đổi số ngành Giáo dục và Đào tạo thành phố Hải Phòng năm 2026", year,
                        number=DEMO_PLAN_NUMBER, default_authority=authority, source_name=DEMO_FILE,
                        legal_bases=("Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị",
                                     "Kế hoạch số 48/KH-UBND ngày 12/02/2026 của UBND thành phố Hải Phòng"))  # fmt: skip
    return store_plan(uow, root, header, result)
