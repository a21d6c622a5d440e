"""exports_reports routes."""

from starlette.routing import BaseRoute

ROUTES: list[BaseRoute] = []
