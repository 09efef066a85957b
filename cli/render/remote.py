"""What the remote commands print from the registry's answers (publish, fork, pull, log, show).

``emit`` is the one switch between ``--format json`` (the answer as it came) and text; the other
functions write the text form, Japanese or English.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click


def emit(result: Any, fmt: str, text: Callable[[Any], None]) -> int:
    """Print ``result`` as JSON or through ``text``; exit 0."""
    if fmt == "json":
        from cli.client import echo_json

        echo_json(result)
    else:
        text(result)
    return 0


def published(result: dict[str, Any], lang: str, dry: bool) -> None:
    """A PublishResult: what was (or, for a dry run, would be) published, and its warnings."""
    ja = lang == "ja"
    key = f"{result['template']}@{result['version']}"
    bump = f"、{result['bump']}" if ja and result.get("bump") else (f", {result['bump']}" if result.get("bump") else "")
    prev = result.get("previous")
    if dry:
        click.echo(f"公開できます（試行のみ）: {key}" + (f"（{prev} から{bump}）" if prev else "") if ja
                   else f"can be published (dry run): {key}" + (f" (from {prev}{bump})" if prev else ""))
    else:
        commit = (result.get("commit") or "")[:12]
        click.echo(f"公開しました: {key}（commit {commit}{bump}）" if ja
                   else f"published {key} (commit {commit}{bump})")
    for w in result.get("warnings") or []:
        msg = w.get("message_ja") if ja else w.get("message")
        click.echo(f"  {'警告' if ja else 'warning'} {w.get('rule')} {w.get('pointer') or ''}: {msg}", err=True)


def forked(result: dict[str, Any], lang: str, dry: bool) -> None:
    """A fork's PublishResult, with its upstream."""
    published(result, lang, dry)
    click.echo(f"  フォーク元: {result['upstream_template']}@{result['upstream_version']}" if lang == "ja"
               else f"  upstream: {result['upstream_template']}@{result['upstream_version']}")


def pulled(result: dict[str, Any], name: str, lang: str, dry: bool) -> None:
    """A PullResult: up to date, or what was taken and published."""
    ja = lang == "ja"
    if result.get("up_to_date"):
        click.echo(f"{name} は最新です（{result['upstream']}@{result['theirs_version']} まで取り込み済み）" if ja
                   else f"{name} is up to date (has {result['upstream']}@{result['theirs_version']})")
        return
    click.echo(f"{result['upstream']} {result['base_version']} → {result['theirs_version']} を取り込みました" if ja
               else f"pulled {result['upstream']} {result['base_version']} → {result['theirs_version']}")
    published(result["published"], lang, dry)
    for dropped in result.get("dropped_examples") or []:
        click.echo(f"  {'除いた例' if ja else 'example left out'}: {dropped}", err=True)


def _show(value: Any) -> str:
    return "（なし）" if value is None else json.dumps(value, ensure_ascii=False)


def pull_conflicts(conflicts: list[dict[str, Any]], message: str, name: str, lang: str) -> None:
    """A pull's conflicts by pointer with the three values, and how to settle them (stderr)."""
    ja = lang == "ja"
    click.echo(("エラー: " if ja else "error: ") + message, err=True)
    for c in conflicts:
        where = f"{c.get('file', 'schema.json')}#{c['pointer']}"
        click.echo(f"  {where}: {c.get('message_ja') if ja else c.get('message')}", err=True)
        click.echo(f"    base={_show(c.get('base'))}  ours={_show(c.get('ours'))}  theirs={_show(c.get('theirs'))}",
                   err=True)
    click.echo(("  → 解決: yoshiki pull {n} --resolve POINTER=ours|theirs（または --schema 編集済みファイル）" if ja
                else "  → settle: yoshiki pull {n} --resolve POINTER=ours|theirs (or --schema EDITED_FILE)")
               .format(n=name), err=True)


def history(entries: list[dict[str, Any]], lang: str) -> None:
    """One line per version, oldest first (``yoshiki log``)."""
    for h in entries:
        dep = ""
        if h.get("deprecated"):
            dep = f"  [{'非推奨' if lang == 'ja' else 'deprecated'}: {h.get('deprecated_reason')}]"
        bump = f" {h['bump']}" if h.get("bump") else ""
        click.echo(f"{h['version']}  {h['date']}  {h['event']}{bump}  {h['author']}  {h['commit'][:12]}{dep}")
        if h.get("changelog"):
            click.echo(f"    {h['changelog']}")


def version_document(doc: dict[str, Any], key: str, lang: str) -> None:
    """One version: title, upstream, fields, changelog (``yoshiki show LG/SLUG@VERSION``)."""
    ja = lang == "ja"
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


def template_detail(detail: dict[str, Any], name: str, lang: str) -> None:
    """A template: summary, versions, upstream chain, forks (``yoshiki show LG/SLUG``)."""
    ja = lang == "ja"
    s = detail["template"]
    click.echo(f"{name}  {s['title']}（{s.get('municipality_name') or s['lg']}）  {'最新' if ja else 'latest'} {s['latest_version']}")
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
                       + (f"（yoshiki pull {name}）" if ja else f" (yoshiki pull {name})"))
    for f in detail.get("forks") or []:
        click.echo(f"  {'フォーク' if ja else 'fork'}: {f['lg']}/{f['slug']}@{f['version']}")
