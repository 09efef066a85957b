"""``yoshiki detach LG/SLUG [--reason TEXT]``: end a fork's relation to its upstream, on purpose.

Once a template is a fork, the registry refuses a version that leaves out its ``upstream``
(``lineage.upstream-required``): lineage and the upstream's locked fields are facts of the
registry. ``detach`` records that the city leaves its upstream (in git, audited, in the change
feed, shown on both templates' pages); the next version may then leave out ``upstream``.
"""

from __future__ import annotations

import click

from cli.client import registry_options
from cli.options import format_option, guarded, lang_option, traceback_option


@click.command(help="フォークをフォーク元から切り離す / detach a fork from its upstream")
@click.argument("name")
@click.option("--reason", default=None, help="理由 (両方のテンプレートのページに表示) / why")
@registry_options
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def command(name: str, reason: str | None, registry: str | None, token: str | None, fmt: str,
            lang: str, show_traceback: bool) -> int:
    """Detach LG/SLUG from its upstream."""
    from cli.client import Client, echo_json
    from registry.layout import TemplateKey

    tk = TemplateKey.parse(name)
    result = Client(registry, token).post(f"/api/v1/templates/{tk.lg}/{tk.slug}/detach",
                                          {"reason": reason} if reason else {})
    if fmt == "json":
        echo_json(result)
    elif lang == "ja":
        click.echo(f"切り離しました: {result['template']} ← {result['upstream']}"
                   f"（{result['version']} 時点, commit {result['commit'][:12]}）")
    else:
        click.echo(f"detached: {result['template']} from {result['upstream']}"
                   f" (at {result['version']}, commit {result['commit'][:12]})")
    return 0
