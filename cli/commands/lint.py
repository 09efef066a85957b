"""``yoshiki lint PATH...``: form-quality rules (Japanese titles, labels, safe patterns, limits).

PATH is a version folder, a template folder (all its versions), a repository in the canonical
layout, or a plain ``.json`` schema file. Rules are turned off per repository in ``.yoshiki.json``
and per template in template.json ``lint.disable`` (docs/lint.md). Exit 0 when there are no
errors (warnings alone pass unless ``--strict``), 1 on errors, 2 usage, 3 when a path is missing.
"""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import EXIT_INVALID, format_option, guarded, lang_option, traceback_option


def summary_of(errors: int, warnings: int, infos: int, lang: str) -> str:
    """The last line: how many errors, warnings and notes."""
    if lang == "ja":
        if not (errors or warnings or infos):
            return "lint: 問題は見つかりませんでした"
        return f"lint: エラー {errors} 件、警告 {warnings} 件、情報 {infos} 件"
    if not (errors or warnings or infos):
        return "lint: no problems found"
    return f"lint: {errors} error(s), {warnings} warning(s), {infos} note(s)"


@click.command(help="フォームの品質を検査する（日本語の項目名、選択肢の表示名、安全な正規表現、上限）"
                    " / lint form templates for quality")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option("text", "json", "github", "markdown")
@lang_option
@click.option("--strict", is_flag=True, help="警告もエラーとして扱う / fail on warnings too")
@traceback_option
@guarded
def command(paths: tuple[Path, ...], fmt: str, lang: str, strict: bool, show_traceback: bool) -> int:
    """Lint every version folder or schema file under PATHS."""
    from cli.render import issues as reporters
    from registry.checks.lint import lint_paths

    issues = lint_paths(list(paths))
    counts = {s: sum(1 for i in issues if i.severity == s) for s in ("error", "warning", "info")}
    click.echo(reporters.render(fmt, issues, lang,
                                summary_of(counts["error"], counts["warning"], counts["info"], lang)))
    failed = counts["error"] > 0 or (strict and counts["warning"] > 0)
    return EXIT_INVALID if failed else 0
