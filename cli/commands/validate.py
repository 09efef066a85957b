"""``yoshiki validate PATH...``: check template versions, whole repositories or schema files.

PATH is a version folder, a template folder (all its versions), a repository in the canonical
layout, or a plain ``.json`` schema file (then: a valid 2020-12 schema whose references resolve
locally). Exit 0 when no errors (warnings allowed), 1 on errors, 3 when a path does not exist.
"""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import EXIT_INVALID, format_option, guarded, lang_option, traceback_option


def summary_of(errors: int, warnings: int, lang: str) -> str:
    """The last line: how many errors and warnings."""
    if lang == "ja":
        return (f"エラー {errors} 件、警告 {warnings} 件" if errors or warnings
                else "問題は見つかりませんでした")
    return (f"{errors} error(s), {warnings} warning(s)" if errors or warnings
            else "no problems found")


HELP = """テンプレート・スキーマを検証する / validate templates, repositories or schema files.

PATH: 版のフォルダ（<団体コード>/<スラッグ>/<版>）、テンプレートのフォルダ、リポジトリ全体、
または .json のスキーマファイル。a version folder, a template folder, a whole repository, or a
plain .json schema file.

検査 / checks: template.json の形式、schema.json が JSON Schema 2020-12 として正しいこと、$ref が
ローカルで解決できること（循環も検出）、入力例（examples/valid, examples/invalid）の判定、
団体コード（検査数字）・スラッグ・版番号・$id・upstream、未知のキーワード（綴りの誤り）。
--registry URL: 手元のリポジトリにない upstream（yoshiki get で取得したフォークの元）をレジストリで
確認する / look upstreams that are not in the local repository up in a registry.

終了コード / exit: 0 エラーなし（警告は可） no errors, 1 エラーあり errors, 3 見つからない not found.
"""


@click.command(help=HELP)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--registry", "registry_url", metavar="URL",
              help="手元にない upstream をこのレジストリで確認する / look upstreams missing here up in this registry")
@format_option("text", "json", "github", "markdown")
@lang_option
@traceback_option
@guarded
def command(paths: tuple[Path, ...], registry_url: str | None, fmt: str, lang: str,
            show_traceback: bool) -> int:
    """Validate every version folder or schema file under PATHS."""
    from cli.render import issues as reporters
    from registry.checks.validation import validate_paths

    remote = None
    if registry_url:
        from cli.client import upstream_lookup

        lookup = upstream_lookup(registry_url)

        def remote(name: str, version: str) -> bool:
            return bool(lookup(name, version).exists)

    issues = validate_paths(list(paths), remote_upstream=remote)
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = sum(1 for i in issues if i.severity == "warning")
    click.echo(reporters.render(fmt, issues, lang, summary_of(errors, warnings, lang)))
    return EXIT_INVALID if errors else 0
