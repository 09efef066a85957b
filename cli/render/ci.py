"""Reports of ``yoshiki ci``: SARIF 2.1.0 for code-scanning views, and the Markdown job summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from cli.render import issues as reporters
from registry import __version__
from registry.models import Issue

if TYPE_CHECKING:
    from registry.checks.repository import CheckResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
INFORMATION_URI = "https://yoshiki.invalid/docs/ci"


def sarif(issues: Sequence[Issue], lang: str, summary: str) -> str:
    """One SARIF 2.1.0 log with one run: the rules seen, one result per issue."""
    rules = sorted({i.rule for i in issues})
    results: list[dict[str, Any]] = []
    for i in issues:
        text = i.text(lang)
        hint = i.hint_text(lang)
        result: dict[str, Any] = {
            "ruleId": i.rule,
            "ruleIndex": rules.index(i.rule),
            "level": SARIF_LEVEL[i.severity],
            "message": {"text": text + (f"\n{hint}" if hint else "")},
        }
        if i.file:
            physical: dict[str, Any] = {"artifactLocation": {"uri": i.file.rstrip("/") or ".",
                                                             "uriBaseId": "%SRCROOT%"}}
            if i.line is not None and i.line >= 1:
                region: dict[str, Any] = {"startLine": i.line}
                if i.column is not None and i.column >= 1:
                    region["startColumn"] = i.column
                physical["region"] = region
            result["locations"] = [{"physicalLocation": physical}]
        if i.pointer:
            result["properties"] = {"jsonPointer": i.pointer}
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "yoshiki",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [{"id": r, "name": r, "shortDescription": {"text": r}} for r in rules],
            }},
            "results": results,
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": [{"message": {"text": summary}}]}],
        }],
    }
    return msgspec.json.encode(log).decode()


def _bump_cell(report: Any, lang: str) -> str:
    if report.previous is None:
        return "新規" if lang == "ja" else "new"
    declared, required = report.declared_bump or "-", report.required_bump or "-"
    mark = "" if (report.declared_bump and report.required_bump and
                  _order(report.declared_bump) >= _order(report.required_bump)) else " ❌"
    return f"{report.previous} → {declared}（必要: {required}）{mark}" if lang == "ja" else \
        f"{report.previous} → {declared} (needs {required}){mark}"


def _order(bump: str) -> int:
    return {"none": 0, "patch": 1, "minor": 2, "major": 3}.get(bump, 0)


def markdown_summary(result: CheckResult, issues: Sequence[Issue], lang: str, summary: str,
                     base: str) -> str:
    """The job summary: what was checked (versions, bumps, modes), then the issues table."""
    ja = lang == "ja"
    lines = ["## 様式 Yoshiki CI" if ja else "## Yoshiki CI", ""]
    lines.append(f"比較の基点: `{base}`" if ja else f"Base: `{base}`")
    lines.append("")
    if result.versions:
        lines.append("| 追加された版 | 版上げ | 互換性モード | 元のテンプレート |" if ja else
                     "| added version | bump | compatibility mode | upstream |")
        lines.append("|---|---|---|---|")
        for r in result.versions:
            compat = "" if r.compatible is None else (" ✅" if r.compatible else " ❌")
            lines.append(f"| `{r.version}` | {_bump_cell(r, lang)} | {r.mode}{compat} | "
                         f"{'`' + r.upstream + '`' if r.upstream else '-'} |")
        lines.append("")
    else:
        lines.append("追加された版はありません。" if ja else "No version was added.")
        lines.append("")
    lines.append(reporters.markdown(issues, lang, summary))
    return "\n".join(lines)


def summary_of(result: CheckResult, errors: int, warnings: int, lang: str) -> str:
    """The last line: what was compared and what was found."""
    added, modified, deleted = (len(result.changes.added), len(result.changes.modified),
                                len(result.changes.deleted))
    if lang == "ja":
        head = f"yoshiki ci: 追加 {added} 版、変更 {modified} 版、削除 {deleted} 版"
        tail = f"エラー {errors} 件、警告 {warnings} 件" if errors or warnings else "問題は見つかりませんでした"
        return f"{head} — {tail}"
    head = f"yoshiki ci: {added} added, {modified} modified, {deleted} deleted version(s)"
    tail = f"{errors} error(s), {warnings} warning(s)" if errors or warnings else "no problems found"
    return f"{head} — {tail}"


def version_lines(result: CheckResult, lang: str) -> list[str]:
    """One line per added version: what it was compared with and the bump."""
    lines = []
    for r in result.versions:
        if r.previous is None:
            what = "新しいテンプレート" if lang == "ja" else "new template"
        elif lang == "ja":
            what = f"{r.previous} から {r.declared_bump}（必要: {r.required_bump}、互換性モード {r.mode}）"
        else:
            what = f"from {r.previous}: {r.declared_bump} (needs {r.required_bump}, mode {r.mode})"
        up = f" ← {r.upstream}" if r.upstream else ""
        lines.append(f"{'追加' if lang == 'ja' else 'added'} {r.version}: {what}{up}")
    return lines
