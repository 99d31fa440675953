"""A ward's draft from its schools' reports, summed exactly, on both databases."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine import BadData
from tests.workflows.reports.world import SCHOOL_NAMES, SCHOOLS, WARD, instance, simple_input
from workflows.indicators.figures import roll_up
from workflows.indicators.models import IndicatorFigure
from workflows.org.models import OrgUnit
from workflows.reports.consolidate import consolidate_children
from workflows.reports.inputs import FigureInput
from workflows.reports.versions import new_version, set_status

MN, TH, THCS, THTHCS = SCHOOLS


def _report(pe, world, code, text, *figures, status="submitted", **fields):
    with pe.unit_of_work(f"{code}_cv") as uow:
        report = new_version(
            uow,
            instance(uow, world.instances[code]),
            simple_input(text, *figures, **fields),
            status=status,
        )
    return report


def _consolidate(pe, world):
    with pe.unit_of_work("hp_x001_cv") as uow:
        return consolidate_children(uow, instance(uow, world.instances[WARD]))


def _three_schools_report(pe, world):
    """12/40 + 7/35 + 0/25 for LMS (by code, by id, by code), 0.1 + 0.2 devices; the 4th school has none."""
    mn = _report(pe, world, MN, "Đã dùng LMS ở 12 lớp.", FigureInput(None, "18", Decimal(12), Decimal(40)),
                 FigureInput(None, "19", Decimal("0.1")), kho_khan="Thiếu máy chiếu")  # fmt: skip
    with pe.unit_of_work("hp_x001_ld") as uow:
        set_status(uow, mn, "approved")
    th = _report(pe, world, TH, "Đã dùng LMS ở 7 lớp.", FigureInput(world.lms, None, Decimal(7), Decimal(35)),
                 FigureInput(world.devices, None, Decimal("0.2")), kien_nghi="Tập huấn thêm")  # fmt: skip
    thcs = _report(
        pe, world, THCS, "Chưa triển khai.", FigureInput(None, "18", Decimal(0), Decimal(25))
    )
    # The fourth school's only submitted version was returned; its newer version is a draft.
    returned = _report(
        pe, world, THTHCS, "Bản bị trả lại", FigureInput(None, "18", Decimal(30), Decimal(30))
    )
    with pe.unit_of_work("hp_x001_ld") as uow:
        set_status(uow, returned, "returned", note="Số liệu sai")
    _report(
        pe,
        world,
        THTHCS,
        "Bản đang sửa",
        FigureInput(None, "18", Decimal(29), Decimal(30)),
        status="draft",
    )
    return mn, th, thcs


def test_the_ward_sums_its_schools_exactly_and_lists_the_missing(pe, world):
    mn, th, thcs = _three_schools_report(pe, world)
    result = _consolidate(pe, world)
    draft = result.report_input
    assert [f.as_json() for f in draft.figures] == [
        {"indicator_id": world.lms, "code": "18", "numerator": "19", "denominator": "100"},
        {"indicator_id": world.devices, "code": "19", "numerator": "0.3", "denominator": None},
    ]
    assert draft.figures[0].numerator == Decimal(19) and draft.figures[1].numerator == Decimal(
        "0.3"
    )
    assert result.consolidated_from == (mn.id, th.id, thcs.id) == draft.consolidated_from
    assert [c.unit_code for c in result.included] == [MN, TH, THCS]
    assert [(c.unit_code, c.name, c.instance_id) for c in result.missing] == [
        (THTHCS, SCHOOL_NAMES[THTHCS], world.instances[THTHCS])
    ]
    assert draft.ket_qua.splitlines() == [
        f"{SCHOOL_NAMES[MN]}: Đã dùng LMS ở 12 lớp.",
        f"{SCHOOL_NAMES[TH]}: Đã dùng LMS ở 7 lớp.",
        f"{SCHOOL_NAMES[THCS]}: Chưa triển khai.",
    ]
    assert draft.kho_khan == f"{SCHOOL_NAMES[MN]}: Thiếu máy chiếu"
    assert draft.kien_nghi == f"{SCHOOL_NAMES[TH]}: Tập huấn thêm"
    assert draft.attachments == ()


def test_the_consolidated_report_is_the_wards_draft_and_counts_nothing_twice(pe, world):
    mn, th, thcs = _three_schools_report(pe, world)
    with pe.unit_of_work("hp_x001_cv") as uow:
        ward_instance = instance(uow, world.instances[WARD])
        draft = consolidate_children(uow, ward_instance).report_input
        ward_report = new_version(uow, ward_instance, draft, status="submitted")
    assert ward_report.consolidated_from == [mn.id, th.id, thcs.id]
    assert ward_report.figures[0] == {
        "indicator_id": world.lms,
        "code": "18",
        "numerator": "19",
        "denominator": "100",
    }
    with pe.unit_of_work("so_ld") as uow:
        set_status(uow, ward_report, "approved")
    with pe.read() as s:
        ward_id = s.scalars(select(OrgUnit.id).where(OrgUnit.code == WARD)).one()
        assert (
            s.scalar(
                select(func.count())
                .select_from(IndicatorFigure)
                .where(IndicatorFigure.unit_id == ward_id)
            )
            == 0
        )
        # Only the approved school (12/40) is on record; the ward's subtree sums to it, once.
        ward = s.get(OrgUnit, ward_id)
        totals = roll_up(s, world.lms, ward, "2026-Q1")
    assert (totals.numerator, totals.denominator, totals.units) == (Decimal(12), Decimal(40), 1)


def test_a_ward_with_no_reports_yet(pe, world):
    result = _consolidate(pe, world)
    assert result.included == () and result.consolidated_from == ()
    assert [c.unit_code for c in result.missing] == SCHOOLS
    assert (result.report_input.ket_qua, result.report_input.figures) == ("", ())


def test_a_count_and_a_fraction_for_one_indicator_are_not_summed(pe, world):
    _report(pe, world, MN, "a", FigureInput(None, "18", Decimal(12), Decimal(40)))
    _report(pe, world, TH, "b", FigureInput(None, "18", Decimal(7)))
    with pytest.raises(BadData) as refused:
        _consolidate(pe, world)
    assert "chỉ tiêu 18" in str(refused.value) and SCHOOL_NAMES[TH] in str(refused.value)
