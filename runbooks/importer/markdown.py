"""Markdown runbook -> a plain outline (sections, list items with their fences, tables). No I/O.

Front matter (YAML or TOML), HTML comments, templating (`<%= … %>`, `{{< … >}}`), MDX imports and JSX
tags are taken out before the CommonMark parse and noted; reference-style links are resolved by the
parser. Everything downstream works on the outline, never on raw Markdown.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode


@dataclass
class Fence:
    """A fenced or indented code block."""

    info: str
    text: str
    line: int


@dataclass
class Item:
    """One list item: its own text, the fences and nested items that belong to it."""

    text: str
    line: int
    ordered: bool
    codes: list[str] = field(default_factory=list)   # inline code spans, in order
    links: list[str] = field(default_factory=list)
    fences: list[Fence] = field(default_factory=list)
    children: list[Item] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)   # further paragraphs of the item


@dataclass
class Table:
    """A pipe table."""

    header: list[str]
    rows: list[list[str]]
    line: int


@dataclass
class Block:
    """One thing in a section, in source order: a paragraph, a list, a fence or a table."""

    kind: str  # "para" | "list" | "fence" | "table" | "label"
    line: int
    text: str = ""
    codes: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    fence: Fence | None = None
    table: Table | None = None


@dataclass
class Section:
    """A heading and what follows it up to the next heading."""

    title: str
    level: int
    line: int
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    """The outline of one Markdown runbook."""

    front: dict[str, Any]
    sections: list[Section]
    notes: list[str]


_FRONT = re.compile(r"\A(?P<pre>(?:[^\n#][^\n]*\n|\n)*?)(?P<fence>---|\+\+\+)[ \t]*\n(?P<body>.*?)\n(?P=fence)[ \t]*(?:\n|\Z)",
                    re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TEMPLATE = re.compile(r"<%=?.*?%>|\{\{[<%].*?[%>]\}\}")
_MDX_IMPORT = re.compile(r"^(?:import|export)\s.+$", re.MULTILINE)
_JSX_LINE = re.compile(r"^\s*</?[A-Z][A-Za-z0-9.]*(?:\s[^>]*)?/?>\s*$")
_FENCE_LINE = re.compile(r"^\s*(```|~~~)")
_BOLD_LINE = re.compile(r"^\*\*[^*\n]{1,60}\*\*")


def _front_matter(text: str, notes: list[str]) -> tuple[dict[str, Any], str]:
    """Split YAML (---) or TOML (+++) front matter, also when a short preamble precedes it."""
    match = _FRONT.match(text)
    if not match:
        return {}, text
    body = match.group("body")
    try:
        data = tomllib.loads(body) if match.group("fence") == "+++" else yaml.safe_load(body)
    except (tomllib.TOMLDecodeError, yaml.YAMLError):
        return {}, text
    if not isinstance(data, dict):
        return {}, text
    notes.append(f"front matter ({'TOML' if match.group('fence') == '+++' else 'YAML'}) read: {', '.join(map(str, data))}")
    preamble = match.group("pre").strip()
    rest = text[match.end():]
    if preamble:
        data.setdefault("_preamble", preamble)
    return data, rest


def _clean(text: str, notes: list[str]) -> str:
    """Drop comments, templating, MDX imports and JSX tag lines outside code fences."""
    out: list[str] = []
    in_fence, dropped = False, 0
    comments = len(_COMMENT.findall(text))
    text = _COMMENT.sub("", text)
    for line in text.split("\n"):
        if _FENCE_LINE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            new = _TEMPLATE.sub("", _MDX_IMPORT.sub("", line))
            if _JSX_LINE.match(new):
                new = ""
            if _BOLD_LINE.match(new) and out and out[-1].strip():
                out.append("")  # a bold label line starts a block of its own, not a lazy continuation
            dropped += new != line
            line = new
        out.append(line)
    if comments:
        notes.append(f"{comments} HTML comment(s) left out")
    if dropped:
        notes.append(f"{dropped} line(s) of templating, MDX imports or JSX tags left out")
    return "\n".join(out)


def _inline(node: SyntaxTreeNode, codes: list[str], links: list[str]) -> str:
    """The text of an inline node: code spans kept in backticks, emphasis and HTML dropped."""
    parts: list[str] = []
    for child in node.children:
        if child.type == "code_inline":
            codes.append(child.content)
            parts.append(f"`{child.content}`")
        elif child.type == "link":
            href = str(child.attrs.get("href", ""))
            if href:
                links.append(href)
            parts.append(_inline(child, codes, links))
        elif child.type in ("text", "text_special"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "html_inline":
            continue
        elif child.children:
            parts.append(_inline(child, codes, links))
    return "".join(parts).strip()


def _para(node: SyntaxTreeNode) -> tuple[str, list[str], list[str]]:
    codes: list[str] = []
    links: list[str] = []
    inline = node.children[0] if node.children else node
    return _inline(inline, codes, links), codes, links


def _label(node: SyntaxTreeNode) -> str:
    """`**Diagnosis:**` (or `**Impact:** what it causes:`) alone in a paragraph: the label, else ""."""
    inline = node.children[0] if node.children else node
    parts = [c for c in inline.children if not (c.type == "text" and not c.content)]
    if not parts or parts[0].type != "strong":
        return ""
    key = _inline(parts[0], [], []).strip()
    rest = _inline(inline, [], [])[len(key):].strip() if _inline(inline, [], []).startswith(key) else "x"
    if key.endswith(":") and (not rest or rest.endswith(":")) or (not key.endswith(":") and rest == ":"):
        return key.rstrip(":").strip()
    return ""


def _line(node: SyntaxTreeNode) -> int:
    return (node.map[0] + 1) if node.map else 0


def _fence(node: SyntaxTreeNode) -> Fence:
    return Fence(info=(node.info or "").strip(), text=node.content.rstrip("\n"), line=_line(node))


def _items(node: SyntaxTreeNode) -> list[Item]:
    ordered = node.type == "ordered_list"
    items = []
    for li in node.children:
        item = Item(text="", line=_line(li), ordered=ordered)
        for child in li.children:
            if child.type == "paragraph":
                text, codes, links = _para(child)
                if item.text:
                    item.extra.append(text)
                else:
                    item.text = text
                item.codes += codes
                item.links += links
            elif child.type in ("fence", "code_block"):
                item.fences.append(_fence(child))
            elif child.type in ("bullet_list", "ordered_list"):
                item.children += _items(child)
        items.append(item)
    return items


def _table(node: SyntaxTreeNode) -> Table:
    rows: list[list[str]] = []
    for part in node.children:  # thead, tbody
        for tr in part.children:
            rows.append([_para(cell)[0] if cell.children else "" for cell in tr.children])
    return Table(header=rows[0] if rows else [], rows=rows[1:], line=_line(node))


def parse(text: str) -> Document:
    """The outline of a Markdown runbook."""
    notes: list[str] = []
    front, body = _front_matter(text.replace("\r\n", "\n"), notes)
    body = _clean(body, notes)
    root = SyntaxTreeNode(MarkdownIt("commonmark").enable("table").parse(body))
    sections = [Section(title="", level=0, line=1)]
    for node in root.children:
        current = sections[-1]
        if node.type == "heading":
            sections.append(Section(title=_para(node)[0], level=int(node.tag[1:]), line=_line(node)))
        elif node.type == "paragraph":
            text, codes, links = _para(node)
            label = _label(node)
            current.blocks.append(Block("label" if label else "para", _line(node), text=label or text,
                                        codes=codes, links=links))
        elif node.type in ("bullet_list", "ordered_list"):
            current.blocks.append(Block("list", _line(node), items=_items(node)))
        elif node.type in ("fence", "code_block"):
            current.blocks.append(Block("fence", _line(node), fence=_fence(node)))
        elif node.type == "table":
            current.blocks.append(Block("table", _line(node), table=_table(node)))
        elif node.type == "blockquote":
            for child in node.children:
                if child.type == "paragraph":
                    text, codes, links = _para(child)
                    current.blocks.append(Block("para", _line(child), text=text, codes=codes, links=links))
    return Document(front=front, sections=[s for s in sections if s.blocks or s.level], notes=notes)
