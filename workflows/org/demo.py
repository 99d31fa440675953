"""A demo province shaped like Hải Phòng after the 2025 reorganisation: the Sở and its nine
phòng, 114 xã/phường/đặc khu each with its preschools, primary and lower-secondary schools,
and the upper-secondary schools and GDNN-GDTX centres directly under the Sở (≈ 2,000 units,
two people each). Deterministic: the same arguments give the same codes and names.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import UnitOfWork
from workflows.org.commands import AddUnit, AddUser, add_unit, add_user
from workflows.org.kinds import UnitKind
from workflows.org.models import OrgUnit

DIVISIONS = (
    ("VP", "Văn phòng Sở", "Văn phòng", ("Văn phòng Sở GDĐT",)),
    ("GDMN-GDTH", "Phòng Giáo dục Mầm non - Giáo dục Tiểu học", "Phòng GDMN-GDTH", ("Phòng GDMN, GDTH",)),
    ("GDTRH", "Phòng Giáo dục Trung học", "Phòng GDTrH", ()),
    ("GDTX", "Phòng Giáo dục thường xuyên, Giáo dục nghề nghiệp và Đại học", "Phòng GDTX, GDNN&ĐH",
     ("Phòng GDTX-GDNN&ĐH", "Phòng GDTX, GDNN và ĐH", "Phòng GDNN-GDTX")),
    ("QLCL", "Phòng Quản lý chất lượng", "Phòng QLCL", ("Phòng Khảo thí và Quản lý chất lượng",)),
    ("KHTC", "Phòng Kế hoạch - Tài chính", "Phòng KHTC", ("Phòng KH-TC",)),
    ("TCCB", "Phòng Tổ chức cán bộ", "Phòng TCCB", ()),
    ("CTHSSV", "Phòng Chính trị, tư tưởng và Công tác học sinh, sinh viên", "Phòng CTHSSV", ()),
    ("TTRA", "Thanh tra Sở", "Thanh tra", ("Thanh tra Sở GDĐT",)),
)  # fmt: skip

PLACES = (
    "Hồng Bàng", "Ngô Quyền", "Gia Viên", "Lê Chân", "An Biên", "Hải An", "Đông Hải", "Kiến An",
    "Phù Liễn", "Dương Kinh", "Đồ Sơn", "Hưng Đạo", "Thủy Nguyên", "Lưu Kiếm", "An Dương", "An Hải",
    "Hồng An", "Nam Triệu", "Tiên Lãng", "Vĩnh Bảo", "Kiến Thụy", "An Lão", "Cát Hải", "Bạch Long Vĩ",
    "Hải Dương", "Lê Thanh Nghị", "Việt Hòa", "Thành Đông", "Nam Đồng", "Tân Hưng", "Thạch Khôi",
    "Tứ Minh", "Ái Quốc", "Chu Văn An", "Chí Linh", "Trần Hưng Đạo", "Nguyễn Trãi", "Trần Nhân Tông",
    "Lê Đại Hành", "Kinh Môn", "Nhị Chiểu", "Nam Sách", "Thanh Hà", "Cẩm Giang", "Gia Lộc", "Tứ Kỳ",
    "Ninh Giang", "Thanh Miện", "Kim Thành", "Bình Giang", "Tiên Minh", "Quyết Thắng", "Toàn Thắng",
    "Tiên Thắng", "Vĩnh Am", "Nguyễn Bỉnh Khiêm", "Kiến Hải", "Kiến Minh", "Chấn Hưng", "An Phong",
)  # fmt: skip


@dataclass(frozen=True)
class DemoShape:
    code: str = "HP"
    name: str = "Sở Giáo dục và Đào tạo thành phố Hải Phòng"
    communes: int = 114
    preschools: int = 6
    primary: int = 5
    lower_secondary: int = 4
    primary_lower: int = 1
    upper_secondary: int = 100
    multi_level: int = 6
    centres: int = 20


SCHOOL_KINDS = (
    (UnitKind.PRESCHOOL, "MN", "Trường Mầm non", "preschools"),
    (UnitKind.PRIMARY, "TH", "Trường Tiểu học", "primary"),
    (UnitKind.LOWER_SECONDARY, "THCS", "Trường THCS", "lower_secondary"),
    (UnitKind.PRIMARY_LOWER, "THTHCS", "Trường TH&THCS", "primary_lower"),
)


def _place(i: int) -> str:
    base = PLACES[i % len(PLACES)]
    return base if i < len(PLACES) else f"{base} {i // len(PLACES) + 1}"


def _commune_name(i: int) -> str:
    if i == 23:
        return "Đặc khu Bạch Long Vĩ"
    return f"{'Phường' if i % 3 else 'Xã'} {_place(i)}"


def username(unit_code: str, suffix: str) -> str:
    """A demo person's login: the unit code in lower case with "_" for ".", then the role suffix."""
    return f"{unit_code.lower().replace('.', '_')}_{suffix}"


def demo_logins(shape: DemoShape = DemoShape()) -> dict[str, str]:
    """One person per role to try the app with (role code → username): the leader and officer of
    the school that gets the demo task, the Văn phòng's clerk and administrator, the inspector."""
    school = f"{shape.code}.X001.THCS01"
    return {
        "leader": username(school, "ld"), "officer": username(school, "cv"), "clerk": username(f"{shape.code}.VP", "vt"),
        "admin": username(f"{shape.code}.VP", "qt"), "inspector": username(f"{shape.code}.TTRA", "tt"),
    }  # fmt: skip


def build_demo_province(uow: UnitOfWork, shape: DemoShape = DemoShape()) -> OrgUnit:
    """Create the province with a leader and an officer in every unit; return its Sở."""
    people = 0

    def staff(unit: OrgUnit, *extra: tuple[str, str, tuple[str, ...]]) -> None:
        nonlocal people
        for suffix, title, roles in (("ld", "Lãnh đạo", ("leader",)), ("cv", "Chuyên viên", ("officer",)), *extra):
            people += 1
            login = username(unit.code, suffix)
            add_user(uow, AddUser(login, f"{title} {unit.short_name or unit.name}", unit.code, roles,
                                  email=f"{login}@demo.giaoviec.vn"), unit=unit)  # fmt: skip

    so = add_unit(uow, AddUnit(shape.code, shape.name, UnitKind.DEPARTMENT, short_name="Sở GDĐT",
                               aliases=("Sở GDĐT", "Sở Giáo dục và Đào tạo")))  # fmt: skip
    staff(so)
    for code, name, short, aliases in DIVISIONS:
        division = add_unit(uow, AddUnit(f"{shape.code}.{code}", name, UnitKind.DIVISION, short_name=short, aliases=aliases), parent=so)
        extra = []
        if code == "VP":
            extra = [("vt", "Văn thư", ("clerk",)), ("qt", "Quản trị", ("admin",))]
        if code == "TTRA":
            extra = [("tt", "Thanh tra viên", ("inspector",))]
        staff(division, *extra)
    for i in range(shape.communes):
        name = _commune_name(i)
        commune = add_unit(uow, AddUnit(f"{shape.code}.X{i + 1:03d}", f"UBND {name}", UnitKind.COMMUNE, short_name=name), parent=so)
        staff(commune)
        for kind, prefix, label, field in SCHOOL_KINDS:
            for n in range(getattr(shape, field)):
                school_name = f"{label} {_place(i)}" + (f" {n + 1}" if getattr(shape, field) > 1 else "")
                school = add_unit(uow, AddUnit(f"{commune.code}.{prefix}{n + 1:02d}", school_name, kind), parent=commune)
                staff(school)
    for kind, prefix, label, count in (
        (UnitKind.UPPER_SECONDARY, "THPT", "Trường THPT", shape.upper_secondary),
        (UnitKind.MULTI_LEVEL, "PT", "Trường PT nhiều cấp học", shape.multi_level),
        (UnitKind.CENTRE, "TT", "Trung tâm GDNN-GDTX", shape.centres),
    ):
        for n in range(count):
            unit = add_unit(uow, AddUnit(f"{shape.code}.{prefix}{n + 1:03d}", f"{label} {_place(n)}", kind), parent=so)
            staff(unit)
    uow.audit("demo_province_created", subject=so.code, data={"people": people})
    return so
