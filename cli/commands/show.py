"""``yoshiki show LG/SLUG[@VERSION]``: a template (versions, upstream, forks) or one version."""

from __future__ import annotations

import click

from cli.client import registry_options
from cli.options import format_option, guarded, lang_option, traceback_option


@click.command(help="テンプレートまたは版を表示する / show a template or one version")
@click.argument("name")
@registry_options
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def command(name: str, registry: str | None, token: str | None, fmt: str, lang: str,
            show_traceback: bool) -> int:
    """Show LG/SLUG (summary) or LG/SLUG@VERSION (the version document)."""
    import json

    from cli.client import Client, echo_json
    from registry.layout import TemplateKey, VersionKey

    client = Client(registry, token)
    ja = lang == "ja"
    if "@" in name:
        key = VersionKey.parse(name)
        doc = client.get(f"/api/v1/templates/{key.lg}/{key.slug}/versions/{key.version}")
        if fmt == "json":
            echo_json(doc)
            return 0
        t = doc["template"]
        click.echo(f"{key}  {t.get('title')}")
        if t.get("description"):
            click.echo(f"  {t['description']}")
        if isinstance(t.get("upstream"), dict):
            click.echo(f"  {'フォーク元' if ja else 'upstream'}: {t['upstream']['template']}@{t['upstream']['version']}")
        props = doc["schema"].get("properties", {}) if isinstance(doc["schema"], dict) else {}
        required = set(doc["schema"].get("required", [])) if isinstance(doc["schema"], dict) else set()
        click.echo(f"  {'項目' if ja else 'fields'}:")
        for field, sub in props.items():
            title = sub.get("title", "") if isinstance(sub, dict) else ""
            mark = ("（必須）" if ja else " (required)") if field in required else ""
            click.echo(f"    {field}: {title}{mark}")
        if t.get("changelog"):
            click.echo(f"  {'変更履歴' if ja else 'changelog'}: {json.dumps(t['changelog'], ensure_ascii=False)}")
        return 0
    tk = TemplateKey.parse(name)
    detail = client.get(f"/api/v1/templates/{tk.lg}/{tk.slug}")
    if fmt == "json":
        echo_json(detail)
        return 0
    s = detail["template"]
    click.echo(f"{tk}  {s['title']}（{s.get('municipality_name') or tk.lg}）  {'最新' if ja else 'latest'} {s['latest_version']}")
    if s.get("description"):
        click.echo(f"  {s['description']}")
    click.echo(f"  {'分類' if ja else 'category'}: {s['category']}  {'タグ' if ja else 'tags'}: {', '.join(s.get('tags') or [])}")
    for v in detail["versions"]:
        dep = ("（非推奨）" if ja else " (deprecated)") if v.get("deprecated") else ""
        click.echo(f"  {v['version']}  {v['published_at']}  {v['author_name']}  {v.get('event')}{dep}")
    if detail.get("upstream_chain"):
        click.echo(f"  {'フォーク元' if ja else 'upstream'}: {' ← '.join(detail['upstream_chain'])}")
        if detail.get("behind"):
            click.echo(f"  {'未取り込みの新しい版' if ja else 'upstream releases not pulled'}: {detail['behind']}"
                       + (f"（yoshiki pull {tk}）" if ja else f" (yoshiki pull {tk})"))
    for f in detail.get("forks") or []:
        click.echo(f"  {'フォーク' if ja else 'fork'}: {f['lg']}/{f['slug']}@{f['version']}")
    return 0
