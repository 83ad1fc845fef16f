"""
Render the narrative docs (README.md, docs/*.md) to HTML beside the API
reference that C{make docs} builds, and copy the examples they quote, so
that the reference links to them (its project link is docs/index.html) and
the whole site can be read offline.

    python scripts/render-docs.py OUTPUT_DIR

Links between the Markdown files are rewritten to the rendered pages; a link
to a file that is neither a doc nor an example is left as written.
"""

from __future__ import annotations

import html
import posixpath
import re
import shutil
import sys
from pathlib import Path

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - twisted_reneg</title>
<style>
body {{ max-width: 50em; margin: 2em auto; padding: 0 1em;
       font-family: sans-serif; line-height: 1.45; }}
pre {{ background: #f6f6f6; padding: 0.8em; overflow-x: auto; }}
code {{ background: #f6f6f6; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 0.3em 0.5em; vertical-align: top; }}
</style>
</head>
<body>
<p><a href="index.html">Narrative docs</a> &middot;
<a href="README.html">README</a> &middot;
<a href="../index.html">API reference</a></p>
{body}
</body>
</html>
"""

#: The files of docs/examples/ the rendered site holds: scripts, and the
#: configuration files the docs quote (haproxy.cfg).
EXAMPLE_SUFFIXES = (".py", ".cfg")

_HREF = re.compile(r'href="([^"#:]+)(#[^"]*)?"')


def _target(source: Path, link: str) -> str | None:
    """
    Where a relative link of C{source} goes in the rendered site (pages
    side by side in one directory, examples under C{examples/}), or
    C{None} to leave it as written.
    """
    resolved = Path(posixpath.normpath((source.parent / link).as_posix()))
    if resolved == ROOT / "README.md":
        return "README.html"
    if resolved.parent == DOCS and resolved.suffix == ".md":
        return resolved.stem + ".html"
    if resolved.parent == DOCS / "examples" and resolved.suffix in EXAMPLE_SUFFIXES:
        return "examples/" + resolved.name
    return None


def render(source: Path, output: Path, markdown: MarkdownIt) -> None:
    text = source.read_text(encoding="utf-8")
    body = markdown.render(text)

    def relink(match: re.Match[str]) -> str:
        target = _target(source, html.unescape(match.group(1)))
        if target is None:
            return match.group(0)
        return f'href="{html.escape(target)}{match.group(2) or ""}"'

    body = _HREF.sub(relink, body)
    title = next((line.lstrip("# ") for line in text.splitlines() if line.startswith("#")), "")
    page = PAGE.format(title=html.escape(title), body=body)
    name = "README.html" if source.name == "README.md" else source.stem + ".html"
    (output / name).write_text(page, encoding="utf-8")


def main(output: Path) -> None:
    # CommonMark plus the tables docs/index.md uses.
    markdown = MarkdownIt("commonmark").enable("table")
    output.mkdir(parents=True, exist_ok=True)
    for source in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        render(source, output, markdown)
    examples = output / "examples"
    examples.mkdir(exist_ok=True)
    for example in sorted((DOCS / "examples").iterdir()):
        if example.suffix in EXAMPLE_SUFFIXES:
            shutil.copy(example, examples / example.name)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
