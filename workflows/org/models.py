"""Organisation units, their aliases, people, roles and delegations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine import Base, BigId


class OrgUnit(Base):
    """A node of a province's tree. ``path`` ("/1/7/42/") makes subtree queries one range scan."""

    __tablename__ = "org_unit"
    __table_args__ = (
        UniqueConstraint("code"),
        Index("ix_org_unit_parent", "parent_id"),
        Index("ix_org_unit_root_kind", "root_id", "kind"),
        Index("ix_org_unit_path", "path"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    root_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    path: Mapped[str] = mapped_column(String(400), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(default=True)


class UnitAlias(Base):
    """Another name a unit goes by in documents ("Phòng GDTrH" = "Phòng Giáo dục Trung học")."""

    __tablename__ = "unit_alias"
    __table_args__ = (UniqueConstraint("root_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="CASCADE"))
    root_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    alias: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(300))  # the normalised form that lookups match


class User(Base):
    __tablename__ = "app_user"
    __table_args__ = (UniqueConstraint("username"), Index("ix_app_user_unit", "unit_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint("role IN ('leader', 'officer', 'clerk', 'admin', 'inspector')", name="role"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))


class Delegation(Base):
    """A leader's approvals handed to another user for a period (ủy quyền), both days included."""

    __tablename__ = "delegation"
    __table_args__ = (
        CheckConstraint("starts_on <= ends_on", name="period"),
        CheckConstraint("from_user_id <> to_user_id", name="not_self"),
        Index("ix_delegation_to", "to_user_id", "starts_on"),
        Index("ix_delegation_from", "from_user_id", "starts_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    from_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    role: Mapped[str] = mapped_column(String(20), default="leader")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None]
