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
    from cli.client import Client
    from cli.render.remote import emit, template_detail, version_document
    from registry.layout import TemplateKey, VersionKey

    client = Client(registry, token)
    if "@" in name:
        key = VersionKey.parse(name)
        return emit(client.get(f"/api/v1/templates/{key.lg}/{key.slug}/versions/{key.version}"), fmt,
                    lambda doc: version_document(doc, str(key), lang))
    tk = TemplateKey.parse(name)
    return emit(client.get(f"/api/v1/templates/{tk.lg}/{tk.slug}"), fmt,
                lambda detail: template_detail(detail, str(tk), lang))
