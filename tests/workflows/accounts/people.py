"""A tiny demo province (the Sở, its nine phòng, one commune with one school: 27 people) whose
people all have one password, for login tests."""

from __future__ import annotations

from engine import ProcessEngine
from workflows.accounts import set_demo_passwords
from workflows.org.demo import DemoShape, build_demo_province, demo_logins

TINY = DemoShape(communes=1, preschools=0, primary=0, lower_secondary=1, primary_lower=0, upper_secondary=0, multi_level=0, centres=0)
PASSWORD = "Mật-khẩu-thử-2026"
LOGINS = demo_logins(TINY)  # role → username
OFFICER = LOGINS["officer"]


def load_people(pe: ProcessEngine) -> None:
    with pe.unit_of_work("test") as uow:
        build_demo_province(uow, TINY)
        set_demo_passwords(uow, TINY.code, PASSWORD)
