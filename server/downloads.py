"""downloads routes."""

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
