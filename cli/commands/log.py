"""``yoshiki log LG/SLUG``: the versions of a template from git — who, when, what."""

from __future__ import annotations

import click

from cli.client import registry_options
from cli.options import format_option, guarded, lang_option, traceback_option


@click.command(help="テンプレートの履歴 / a template's history (versions, authors, dates)")
@click.argument("name")
@registry_options
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def command(name: str, registry: str | None, token: str | None, fmt: str, lang: str,
            show_traceback: bool) -> int:
    """One line per version, oldest first."""
    from cli.client import Client, echo_json
    from registry.layout import TemplateKey

    tk = TemplateKey.parse(name)
    history = Client(registry, token).get(f"/api/v1/templates/{tk.lg}/{tk.slug}/history")
    if fmt == "json":
        echo_json(history)
        return 0
    for h in history:
        dep = ""
        if h.get("deprecated"):
            dep = f"  [{'非推奨' if lang == 'ja' else 'deprecated'}: {h.get('deprecated_reason')}]"
        bump = f" {h['bump']}" if h.get("bump") else ""
        click.echo(f"{h['version']}  {h['date']}  {h['event']}{bump}  {h['author']}  {h['commit'][:12]}{dep}")
        if h.get("changelog"):
            click.echo(f"    {h['changelog']}")
    return 0
