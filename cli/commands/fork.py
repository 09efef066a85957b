"""``yoshiki fork LG/SLUG[@VERSION] --to LG2[/SLUG2] [--dry-run]``: fork a template into your municipality."""

from __future__ import annotations

from typing import Any

import click

from cli.client import registry_options
from cli.options import format_option, guarded, lang_option, traceback_option


@click.command(help="テンプレートを自団体にフォークする / fork a template into your municipality")
@click.argument("name")
@click.option("--to", "to", required=True, help="フォーク先 LG または LG/SLUG / target LG[/SLUG]")
@click.option("--dry-run", is_flag=True, help="検査だけしてフォークしない / check only")
@registry_options
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def command(name: str, to: str, dry_run: bool, registry: str | None, token: str | None, fmt: str,
            lang: str, show_traceback: bool) -> int:
    """Fork the version (default: latest) with its upstream recorded."""
    from cli.client import Client
    from cli.render.remote import emit, forked
    from registry.layout import TemplateKey

    source, _, version = name.partition("@")
    tk = TemplateKey.parse(source)
    to_lg, _, to_slug = to.partition("/")
    body: dict[str, Any] = {"to": to_lg, "slug": to_slug or None, "version": version or None,
                            "dry_run": dry_run}
    result = Client(registry, token).post(f"/api/v1/templates/{tk.lg}/{tk.slug}/fork", body)
    return emit(result, fmt, lambda r: forked(r, lang, dry_run))
