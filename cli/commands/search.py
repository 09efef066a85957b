"""``yoshiki search [QUERY] [--municipality] [--category] [--tag] [--prefecture]``: find templates."""

from __future__ import annotations

from typing import Any

import click

from cli.client import registry_options
from cli.options import format_option, guarded, lang_option, traceback_option


@click.command(help="テンプレートを探す (日本語で) / search the registry's templates")
@click.argument("query", required=False, default="")
@click.option("--municipality", default=None, help="団体コード / LG code")
@click.option("--category", default=None, help="分類 / category")
@click.option("--tag", default=None, help="タグ / tag")
@click.option("--prefecture", default=None, help="都道府県 (名前かコード) / prefecture")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True,
              help="1ページの件数 / page size")
@click.option("--all", "all_pages", is_flag=True, help="すべてのページ / every page")
@registry_options
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def command(query: str, municipality: str | None, category: str | None, tag: str | None,
            prefecture: str | None, limit: int, all_pages: bool, registry: str | None,
            token: str | None, fmt: str, lang: str, show_traceback: bool) -> int:
    """Print matching templates, newest first."""
    from cli.client import Client, echo_json

    client = Client(registry, token)
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = client.get("/api/v1/templates", q=query or None, municipality=municipality,
                          category=category, tag=tag, prefecture=prefecture, cursor=cursor,
                          limit=limit)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not all_pages or not cursor:
            break
    if fmt == "json":
        echo_json({"items": items, "next_cursor": cursor})
        return 0
    for t in items:
        fork = f"  ← {t['upstream_template']}" if t.get("upstream_template") else ""
        click.echo(f"{t['lg']}/{t['slug']}@{t['latest_version']}\t{t['title']}"
                   f"（{t.get('municipality_name') or t['lg']}）{fork}")
    if not items:
        click.echo("見つかりませんでした。" if lang == "ja" else "nothing found.", err=True)
    elif cursor:
        click.echo("続きがあります（--all ですべて表示）" if lang == "ja" else "more results: use --all",
                   err=True)
    return 0
