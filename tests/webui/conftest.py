from tests.fixtures.webapp import app, client, live_server  # noqa: F401  (the web app's fixtures)
from tests.webui.inbox_world import web, world, world_server  # noqa: F401  (the inbox tests: the permission world)
