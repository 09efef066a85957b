"""Render issues as text, JSON, GitHub annotations or Markdown — chosen by name.

Results are collected first, then printed by one reporter: data (the report) to stdout,
diagnostics to stderr (done by the command, not here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from registry.models import Issue

SEVERITY_JA = {"error": "エラー", "warning": "警告", "info": "情報"}


def _location(issue: Issue) -> str:
    where = issue.file or "-"
    if issue.record is not None:
        where += f":{issue.record}"
    elif issue.line is not None:
        where += f":{issue.line}" + (f":{issue.column}" if issue.column is not None else "")
    return where


def text(issues: Sequence[Issue], lang: str, summary: str) -> str:
    """One line per issue, ``file:line #/pointer: [severity rule] message``, then the summary."""
    lines = []
    for i in issues:
        sev = SEVERITY_JA[i.severity] if lang == "ja" else i.severity
        ptr = f" #{i.pointer}" if i.pointer else ""
        lines.append(f"{_location(i)}{ptr}: [{sev} {i.rule}] {i.text(lang)}")
        hint = i.hint_text(lang)
        if hint:
            lines.append(f"    → {hint}")
    lines.append(summary)
    return "\n".join(lines)


def json(issues: Sequence[Issue], lang: str, summary: str, extra: dict[str, Any] | None = None) -> str:
    """One JSON object: ``{"ok", "summary", "issues": [...]}`` (plus command-specific fields)."""
    body: dict[str, Any] = {
        "ok": not any(i.severity == "error" for i in issues),
        "summary": summary,
        "counts": {s: sum(1 for i in issues if i.severity == s) for s in ("error", "warning", "info")},
        **(extra or {}),
        # every issue carries its severity explicitly (Issue omits defaults when encoded)
        "issues": [{**msgspec.to_builtins(i), "severity": i.severity} for i in issues],
    }
    return msgspec.json.encode(body).decode()


def _gh_escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_escape_prop(s: str) -> str:
    return _gh_escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github_line(issue: Issue, lang: str) -> str:
    """One GitHub Actions workflow command (``::error file=…,line=…::message``)."""
    level = {"error": "error", "warning": "warning", "info": "notice"}[issue.severity]
    props = []
    if issue.file:
        props.append(f"file={_gh_escape_prop(issue.file)}")
    if issue.line is not None:
        props.append(f"line={issue.line}")
        if issue.column is not None:
            props.append(f"col={issue.column}")
    props.append(f"title={_gh_escape_prop(issue.rule + (' ' + issue.pointer if issue.pointer else ''))}")
    msg = issue.text(lang)
    hint = issue.hint_text(lang)
    if hint:
        msg += "\n" + hint
    return f"::{level} {','.join(props)}::{_gh_escape_data(msg)}"


def github(issues: Sequence[Issue], lang: str, summary: str) -> str:
    """GitHub annotations, one per issue, then the summary as a notice."""
    lines = [github_line(i, lang) for i in issues]
    lines.append(summary)
    return "\n".join(lines)


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", "<br>")


def markdown(issues: Sequence[Issue], lang: str, summary: str) -> str:
    """A Markdown table for pull-request comments and job summaries."""
    if not issues:
        return f"✅ {summary}\n"
    head = ("| 重要度 | 場所 | ポインタ | ルール | 内容 |\n|---|---|---|---|---|" if lang == "ja" else
            "| severity | location | pointer | rule | message |\n|---|---|---|---|---|")
    rows = []
    for i in issues:
        sev = SEVERITY_JA[i.severity] if lang == "ja" else i.severity
        msg = i.text(lang) + (f"<br>→ {i.hint_text(lang)}" if i.hint_text(lang) else "")
        rows.append(f"| {sev} | `{_md_cell(_location(i))}` | `{_md_cell(i.pointer or '/')}` | "
                    f"`{i.rule}` | {_md_cell(msg)} |")
    icon = "❌" if any(i.severity == "error" for i in issues) else "⚠️"
    return f"{icon} {summary}\n\n{head}\n" + "\n".join(rows) + "\n"


REPORTERS: dict[str, Callable[[Sequence[Issue], str, str], str]] = {
    "text": text,
    "json": json,
    "github": github,
    "markdown": markdown,
}


def render(fmt: str, issues: Sequence[Issue], lang: str, summary: str) -> str:
    """Render with the reporter named ``fmt``."""
    return REPORTERS[fmt](issues, lang, summary)
