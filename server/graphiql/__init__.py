"""GraphiQL at `GET /graphql` for a browser: every asset from this server, a sign-in form,
the Explorer plugin and example operations (docs/graphiql-and-http.md).

The page's Content-Security-Policy is `graphiql_csp` below: scripts, styles and requests
from this origin only (plus the CDN when the npm files are missing); no inline script
(the page's settings travel as a JSON data block, which a browser never runs).
"""

from __future__ import annotations

import functools
import html
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from server.graphiql.assets import CDN, IMMUTABLE, Asset, Assets
from server.graphiql.examples import load_examples
from server.http_errors import json_error

CONFIG_ELEMENT_ID = "rolodex-graphiql-config"
NOTICE_NO_NODE = (
    "GraphiQL's files are not installed on this server (Node.js and npm were missing when "
    "it was set up), so this page loads them from unpkg.com: it needs internet access. "
    "Install Node.js 20 or newer and run `make install` to serve them from here."
)


def graphiql_csp(*, cdn: bool) -> str:
    """The page's Content-Security-Policy (the one place it is written)."""
    extra = f" {CDN}" if cdn else ""
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self'{extra}",
            f"style-src 'self'{extra}",
            # GraphiQL's fonts and icons are data: URLs inside its stylesheet.
            "font-src 'self' data:",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            # The sign-in form is submitted by script; without it, never (no password in a URL).
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )


@functools.cache
def default_assets() -> Assets:
    return Assets.load()


def _tag_attributes(asset: Asset) -> str:
    attributes = f'integrity="{asset.integrity}"'
    if asset.cross_origin:
        attributes += ' crossorigin="anonymous"'
    return attributes


def render_page(assets: Assets, config: dict[str, Any]) -> str:
    styles = "\n".join(
        f'  <link rel="stylesheet" href="{a.url}" {_tag_attributes(a)}>' for a in assets.stylesheets
    )
    scripts = "\n".join(
        f'  <script src="{a.url}" {_tag_attributes(a)}></script>' for a in assets.scripts
    )
    notice = (
        ""
        if assets.installed
        else f'  <p class="rolodex-notice" role="alert">{html.escape(NOTICE_NO_NODE)}</p>\n'
    )
    # `</` never appears inside the data block, so no text can close it early.
    config_json = json.dumps(config).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Rolodex · GraphiQL</title>
  <link rel="icon" href="data:,">
{styles}
</head>
<body>
{notice}  <header class="rolodex-bar">
    <strong class="rolodex-brand">Rolodex</strong>
    <form class="rolodex-sign-in" id="rolodex-sign-in" autocomplete="on">
      <input name="email" type="email" placeholder="E-mail" autocomplete="username" required>
      <input name="password" type="password" placeholder="Password"
             autocomplete="current-password" required>
      <button type="submit">Sign in</button>
      <span class="rolodex-error" role="status" aria-live="polite"></span>
    </form>
    <div class="rolodex-signed-in" id="rolodex-signed-in" hidden>
      Signed in as <strong class="rolodex-staff-name"></strong>
      <span class="rolodex-company"></span>
      <button type="button" class="rolodex-sign-out">Sign out</button>
    </div>
  </header>
  <main id="graphiql">Loading GraphiQL…</main>
  <script type="application/json" id="{CONFIG_ELEMENT_ID}">{config_json}</script>
{scripts}
</body>
</html>
"""


class GraphiQLPage:
    """The page and its asset route for one app."""

    def __init__(self, assets: Assets | None = None) -> None:
        self.assets = assets or default_assets()
        config = {"examples": [example.as_json() for example in load_examples()]}
        self.html = render_page(self.assets, config)
        self.csp = graphiql_csp(cdn=not self.assets.installed)

    def response(self) -> Response:
        return HTMLResponse(
            self.html,
            headers={
                "Content-Security-Policy": self.csp,
                # The page names its assets by digest: it must be fetched afresh after a deploy.
                "Cache-Control": "no-cache",
            },
        )

    async def serve_asset(self, request: Request) -> Response:
        asset = self.assets.find(request.path_params["digest"], request.path_params["name"])
        if asset is None:
            return json_error(404, "NOT_FOUND", "No such GraphiQL asset (the page may be stale).")
        headers = {"Cache-Control": IMMUTABLE, "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
        return Response(asset.content, media_type=asset.media_type, headers=headers)

    @property
    def routes(self) -> list[Route]:
        return [Route("/graphiql/assets/{digest}/{name}", self.serve_asset, methods=["GET"])]
