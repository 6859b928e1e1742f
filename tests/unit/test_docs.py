"""The README and docs/ stand on their own: every relative link (and its #heading) leads somewhere in the
repository, and nothing points at notes kept outside it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Material the project was started from lives outside the repository; a reader of a clone cannot follow it.
OUTSIDE = ("../shared", "/work/shared", "EVAL.md", "ARCHITECTURE.md", "ARCHITECTURE rule")

_FENCE = re.compile(r"^```.*?^```", re.M | re.S)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _prose(text: str) -> str:
    """The text without code blocks and code spans, where a bracket is code, not a link."""
    return _CODE.sub("", _FENCE.sub("", text))


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens."""
    text = heading.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file (a repeated heading gets -1, -2, ... as on GitHub)."""
    seen: dict[str, int] = {}
    anchors: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        slug = _slug(heading)
        count = seen.get(slug, 0)
        anchors.add(slug if count == 0 else f"{slug}-{count}")
        seen[slug] = count + 1
    return anchors


def _links(path: Path) -> list[str]:
    return _LINK.findall(_prose(path.read_text(encoding="utf-8")))


def test_the_docs_are_found() -> None:
    """The check below looks at the README and every page in docs/ (an empty list would pass anything)."""
    names = {p.relative_to(ROOT).as_posix() for p in DOCS}
    assert {"README.md", "docs/architecture.md", "docs/evaluation.md"} <= names


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_to_a_file_in_the_repository(doc: Path) -> None:
    """A reader who follows a link lands on a file of this repository, at a heading that exists."""
    broken = []
    for target in _links(doc):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
            broken.append(f"{target}: points outside the repository")
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (doc.parent / file_part).resolve() if file_part else doc
        if not resolved.is_relative_to(ROOT):
            broken.append(f"{target}: leaves the repository")
        elif not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.relative_to(ROOT).as_posix()}")
    assert not broken, f"{doc.name}: " + "; ".join(broken)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_doc_points_outside_the_repository(doc: Path) -> None:
    """The docs state their rules and protocols in words; nothing refers to notes a clone does not have."""
    text = doc.read_text(encoding="utf-8")
    assert [name for name in OUTSIDE if name in text] == []


SOURCES = sorted(p for folder in ("app", "bench", "packaging") for p in (ROOT / folder).rglob("*.py"))


def test_no_code_points_outside_the_repository() -> None:
    """Docstrings, comments and help text name the project's own docs, never notes a clone does not have."""
    found = [f"{p.relative_to(ROOT).as_posix()}: {name}" for p in SOURCES
             for name in OUTSIDE if name in p.read_text(encoding="utf-8")]
    assert found == []


def test_the_link_check_sees_a_broken_link(tmp_path: Path) -> None:
    """The patterns find links and headings as a reader sees them (and skip code, where brackets are not links)."""
    page = tmp_path / "page.md"
    page.write_text("# How it is built\n\n## Top-k ranking: `chatrec eval`\n\n"
                    "See [the rules](other.md#rules), ![a chart](chart.png) and `[code](not-a-link)`.\n"
                    "```\n[inside a fence](nor-this)\n```\n", encoding="utf-8")
    assert _links(page) == ["other.md#rules", "chart.png"]
    assert _anchors(page) == {"how-it-is-built", "top-k-ranking-chatrec-eval"}
