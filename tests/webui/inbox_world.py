"""The permission tests' world (``tests/workflows/authz/world.py``) behind the web app: every
person has ``PASSWORD``, the engine's guard is on; ``world_server`` serves it for the browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from engine import FrozenClock
from tests.fixtures.webapp import LiveServer, serving, web_config
from tests.workflows.accounts.people import PASSWORD
from tests.workflows.authz.world import World, build_world
from webui import create_app
from workflows.accounts import set_demo_passwords
from workflows.actions import guard


@pytest.fixture
def world(pe) -> World:
    built = build_world(pe)
    guard.install(pe)
    with pe.unit_of_work("test") as uow:
        set_demo_passwords(uow, "T", PASSWORD)
    return built


@pytest.fixture
def web(pe, world) -> Flask:
    return create_app(web_config(pe))


@pytest.fixture
def world_server(web: Flask, clock: FrozenClock) -> Iterator[LiveServer]:
    with serving(web, clock) as server:
        yield server
