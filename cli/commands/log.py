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
    from cli.client import Client
    from cli.render.remote import emit, history
    from registry.layout import TemplateKey

    tk = TemplateKey.parse(name)
    return emit(Client(registry, token).get(f"/api/v1/templates/{tk.lg}/{tk.slug}/history"), fmt,
                lambda entries: history(entries, lang))
