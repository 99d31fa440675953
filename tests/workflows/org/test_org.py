from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from engine import BadData, InvalidState
from workflows.org.commands import AddUnit, AddUser, add_unit, add_user, delegate, unit_by_code
from workflows.org.demo import DemoShape, build_demo_province
from workflows.org.kinds import UnitKind
from workflows.org.models import OrgUnit, User
from workflows.org.queries import approvers, may_approve, subtree
from workflows.org.resolve import UnitDirectory, expand_group, name_key

SMALL = DemoShape(communes=3, upper_secondary=4, multi_level=1, centres=2)


@pytest.fixture
def province(pe):
    with pe.unit_of_work("admin") as uow:
        so = build_demo_province(uow, SMALL)
    return so


def test_demo_province_has_the_shape_of_the_sector(pe, province):
    with pe.read() as s:
        counts = dict(s.execute(select(OrgUnit.kind, func.count()).group_by(OrgUnit.kind)).all())
        users = s.scalar(select(func.count()).select_from(User))
    assert counts == {"so": 1, "phong": 9, "xa": 3, "mn": 18, "th": 15, "thcs": 12, "th_thcs": 3, "thpt": 4, "pt_nhieu_cap": 1, "tt_gdnn_gdtx": 2}
    assert users == 2 * sum(counts.values()) + 3  # clerk and admin in Văn phòng, an inspector in Thanh tra


def test_subtree_is_a_path_range(pe, province):
    with pe.read() as s:
        commune = s.scalars(select(OrgUnit).where(OrgUnit.code == "HP.X001")).one()
        units = subtree(s, commune)
    assert units[0].code == "HP.X001" and len(units) == 1 + 6 + 5 + 4 + 1
    assert all(u.code.startswith("HP.X001") for u in units)


@pytest.mark.parametrize(
    ("cell", "units", "groups", "unknown"),
    [
        ("Văn phòng Sở", ["HP.VP"], [], []),
        ("Phòng GDTrH", ["HP.GDTRH"], [], []),
        ("Phòng Giáo dục Trung học", ["HP.GDTRH"], [], []),
        ("phong gdtrh", ["HP.GDTRH"], [], []),
        ("Phòng GDMN-GDTH; Phòng GDTrH; Phòng QLCL; các cơ sở giáo dục", ["HP.GDMN-GDTH", "HP.GDTRH", "HP.QLCL"], ["institutions"], []),
        ("Phòng GDTX, GDNN&ĐH", ["HP.GDTX"], [], []),
        ("Phòng GDTX, GDNN&ĐH; các cơ sở giáo dục", ["HP.GDTX"], ["institutions"], []),
        ("Các phòng; các cơ sở giáo dục", [], ["divisions", "institutions"], []),
        ("UBND các xã, phường", [], ["communes"], []),
        ("Đơn vị CNTT; các cơ sở giáo dục", [], ["institutions"], ["Đơn vị CNTT"]),
        ("Sở KH&CN; các cơ sở giáo dục", [], ["institutions"], ["Sở KH&CN"]),
        ("Phòng TCCB; các cơ sở giáo dục", ["HP.TCCB"], ["institutions"], []),
        ("Các trung tâm GDTX", [], ["centres"], []),
        ("Văn phòng Sở và Phòng KHTC", ["HP.VP", "HP.KHTC"], [], []),
        ("", [], [], []),
    ],
)
def test_cells_resolve_to_units_groups_and_unknown_names(pe, province, cell, units, groups, unknown):
    with pe.read() as s:
        directory = UnitDirectory.load(s, province.root_id)
        result = directory.resolve(cell)
        codes = [s.get(OrgUnit, uid).code for uid in result.unit_ids]
    assert codes == units
    assert [t.group for t in result.targets if t.group] == groups
    assert result.unknown == unknown


def test_groups_expand_over_the_tree(pe, province):
    with pe.read() as s:
        institutions = expand_group(s, province.root_id, "institutions")
        specialists = expand_group(s, province.root_id, "specialist_divisions")
        communes = expand_group(s, province.root_id, "communes")
    assert len(institutions) == 18 + 15 + 12 + 3 + 4 + 1 + 2
    assert {u.code for u in specialists} == {"HP.GDMN-GDTH", "HP.GDTRH", "HP.GDTX", "HP.QLCL", "HP.KHTC", "HP.TCCB", "HP.CTHSSV"}
    assert len(communes) == 3


def test_tree_rules_and_unique_names(pe, province):
    with pytest.raises(BadData) as err, pe.unit_of_work("admin") as uow:
        add_unit(uow, AddUnit("HP.BAD", "Trường Mầm non Lạc", UnitKind.PRESCHOOL, parent_code="HP"))
    assert "không thể trực thuộc" in str(err.value)
    with pytest.raises(InvalidState), pe.unit_of_work("admin") as uow:
        add_unit(uow, AddUnit("HP.GDTRH2", "Phòng Giáo dục Trung học", UnitKind.DIVISION, parent_code="HP"))
    with pytest.raises(BadData), pe.unit_of_work("admin") as uow:
        add_unit(uow, AddUnit("X", "Y", "khong_ro"))
    # A second province lives in the same database with its own names.
    with pe.unit_of_work("admin") as uow:
        other = build_demo_province(uow, DemoShape(code="NB", name="Sở GDĐT Ninh Bình", communes=1, upper_secondary=1, multi_level=0, centres=0))
    with pe.read() as s:
        assert UnitDirectory.load(s, other.root_id).resolve("Phòng GDTrH").unit_ids != UnitDirectory.load(s, province.root_id).resolve("Phòng GDTrH").unit_ids


def test_delegation_lets_another_user_approve_on_behalf_for_its_period(pe, province):
    with pe.unit_of_work("admin") as uow:
        unit = unit_by_code(uow, "HP.GDTRH")
        add_user(uow, AddUser("pho_phong", "Phó trưởng phòng", "HP.GDTRH", ("officer",)))
        delegate(uow, "hp_gdtrh_ld", "pho_phong", date(2026, 3, 1), date(2026, 3, 15), "Đi công tác")
    with pe.read() as s:
        deputy = s.scalars(select(User).where(User.username == "pho_phong")).one()
        acting = may_approve(s, deputy, unit.id, date(2026, 3, 10))
        assert acting is not None and acting.on_behalf_of.username == "hp_gdtrh_ld"
        assert may_approve(s, deputy, unit.id, date(2026, 3, 16)) is None
        assert {a.user.username for a in approvers(s, unit.id, date(2026, 3, 10))} == {"hp_gdtrh_ld", "pho_phong"}
    with pytest.raises(InvalidState), pe.unit_of_work("admin") as uow:
        delegate(uow, "pho_phong", "hp_gdtrh_ld", date(2026, 3, 1), date(2026, 3, 2))


def test_name_key_ignores_case_diacritics_and_punctuation():
    assert name_key("Phòng GDMN-GDTH") == name_key("phong gdmn gdth") == name_key("PHÒNG  GDMN–GDTH.")
    assert name_key("Đặc khu") == "dac khu"
