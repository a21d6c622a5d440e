"""A clone of the repository is all a user gets: every relative link in README.md,
CONTRIBUTING.md and docs/*.md names a file of the repository (and a heading of it, when
the link has an anchor)."""

from __future__ import annotations

import re

from tests.live_server import REPO

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
DOCUMENTS = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]


def anchors(path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings."""
    found = set()
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


def test_every_relative_link_resolves_inside_the_repository():
    broken = []
    for document in DOCUMENTS:
        for target in LINK.findall(document.read_text()):
            if re.match(r"^[a-z]+:", target):
                continue  # http(s):, mailto:
            path_part, _, anchor = target.partition("#")
            linked = (document.parent / path_part).resolve() if path_part else document
            if REPO.resolve() not in linked.parents and linked != REPO.resolve():
                broken.append(f"{document.name}: {target} points outside the repository")
            elif not linked.exists():
                broken.append(f"{document.name}: {target} does not exist")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{document.name}: {target} names no heading")
    assert broken == []


def test_no_document_sends_readers_outside_the_repository():
    for document in DOCUMENTS:
        assert "../shared" not in document.read_text(), document.name


def test_the_readme_links_the_api_guide():
    assert "(docs/api.md)" in (REPO / "README.md").read_text()
