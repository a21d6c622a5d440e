"""GraphiQL's browser assets: npm's pinned files (installed at set-up) and this page's own.

`make install` runs `npm ci` here (package.json and package-lock.json pin every version);
node_modules/ is never committed. The app reads the files once at startup and serves
each at `/graphiql/assets/<digest>/<name>` (named relative to the page, so that it works
behind a proxy that mounts the app under a path prefix): the digest changes with the content, so the
answer may be cached for a year, and the page names every file with its Subresource
Integrity hash. Without node_modules (no Node at set-up) the page loads the same pinned
files from unpkg.com instead, checked against the integrity hashes recorded below, and
says so on screen.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
NODE_MODULES = HERE / "node_modules"
STATIC = HERE / "static"
CDN = "https://unpkg.com"
# Relative to the page at /graphql.
ASSET_PATH = "graphiql/assets"
IMMUTABLE = "public, max-age=31536000, immutable"
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@dataclass(frozen=True)
class VendorFile:
    package: str
    path: str  # inside the package
    # sha384 of the pinned version's file: the CDN fallback's browser checks it
    # (tests/test_graphiql.py checks it against the installed file).
    integrity: str

    @property
    def name(self) -> str:
        return Path(self.path).name


# In the order the page loads them: React first, the Explorer plugin after GraphiQL.
VENDOR_FILES = (
    VendorFile(
        "react",
        "umd/react.production.min.js",
        "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z",
    ),
    VendorFile(
        "react-dom",
        "umd/react-dom.production.min.js",
        "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1",
    ),
    VendorFile(
        "graphiql",
        "graphiql.min.js",
        "sha384-8NGfVj4CVlqHajlZj+bPJT4thxPMHMJYn7DWK2CvtopLd02E7qsPHazniBYvVjOO",
    ),
    VendorFile(
        "graphiql",
        "graphiql.min.css",
        "sha384-QMux00XgRtwRLSYIY3kw2rj1ovk5AuuliAchk+HSQbqdbGFnz9GYuqIlOqxhwCE2",
    ),
    VendorFile(
        "@graphiql/plugin-explorer",
        "dist/index.umd.js",
        "sha384-5p6hGdlOTvUy6Wf0GauxCz+xM9YB/YYvcGG+bf9msr2eyd+KVIxgRkepHgUijedJ",
    ),
    VendorFile(
        "@graphiql/plugin-explorer",
        "dist/style.css",
        "sha384-YN9MumWidbWKuNj8VfH5ggrFvm9YqAoIOMnKYpeGL3dr7Eg1qnQ+SAqSthdNZCjz",
    ),
)
# This page's own code, committed beside this module.
OWN_FILES = ("rolodex-graphiql.css", "rolodex-graphiql.js")


def pinned_versions() -> dict[str, str]:
    """Exact versions from package.json (the lock file agrees: `npm ci` refuses otherwise)."""
    return json.loads((HERE / "package.json").read_text())["dependencies"]


def sri(content: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()


@dataclass(frozen=True)
class Asset:
    """One file as the page names it (`url`, `integrity`) and as the app serves it."""

    name: str
    url: str
    integrity: str
    content: bytes = b""
    gzipped: bytes = b""

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[Path(self.name).suffix]

    @property
    def cross_origin(self) -> bool:
        return self.url.startswith("https://")


def _served(name: str, content: bytes) -> Asset:
    digest = hashlib.sha256(content).hexdigest()[:16]
    return Asset(
        name=name,
        url=f"{ASSET_PATH}/{digest}/{name}",
        integrity=sri(content),
        content=content,
        gzipped=gzip.compress(content, compresslevel=9, mtime=0),
    )


@dataclass(frozen=True)
class Assets:
    files: tuple[Asset, ...]
    # False: npm's files are missing and the page loads them from the CDN.
    installed: bool

    @classmethod
    def load(cls, node_modules: Path = NODE_MODULES) -> Assets:
        paths = [node_modules / vendor.package / vendor.path for vendor in VENDOR_FILES]
        installed = all(path.is_file() for path in paths)
        if installed:
            vendor = [_served(p.name, p.read_bytes()) for p in paths]
        else:
            versions = pinned_versions()
            vendor = [
                Asset(
                    name=v.name,
                    url=f"{CDN}/{v.package}@{versions[v.package]}/{v.path}",
                    integrity=v.integrity,
                )
                for v in VENDOR_FILES
            ]
        own = [_served(name, (STATIC / name).read_bytes()) for name in OWN_FILES]
        return cls(files=(*vendor, *own), installed=installed)

    def find(self, digest: str, name: str) -> Asset | None:
        url = f"{ASSET_PATH}/{digest}/{name}"
        return next((asset for asset in self.files if asset.url == url), None)

    @property
    def scripts(self) -> list[Asset]:
        return [asset for asset in self.files if asset.name.endswith(".js")]

    @property
    def stylesheets(self) -> list[Asset]:
        return [asset for asset in self.files if asset.name.endswith(".css")]
