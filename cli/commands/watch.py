"""``yoshiki watch LGCODE``: a city's forks with upstream releases waiting (for a scheduled CI job).

Exit codes: 0 = every fork has taken its upstream's newest release; 10 = at least one fork is
behind (the list is printed; a CI job opens a pull request or an issue on 10); 2 usage,
3 not found, 70 the registry cannot be reached or anything unexpected — as every command.
``--format json`` prints ``{"municipality", "behind": [{template, upstream_template,
upstream_version, upstream_latest, behind, latest_version}, ...]}``.
"""

from __future__ import annotations

import click

from cli.client import registry_options
from cli.options import format_option, guarded, lang_option, traceback_option

EXIT_BEHIND = 10


@click.command(help="フォーク元に新しい版がある自団体のフォークを一覧する（遅れがあれば終了コード 10） / "
                    "list a city's forks with upstream releases waiting (exit 10 when any)")
@click.argument("municipality")
@registry_options
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def command(municipality: str, registry: str | None, token: str | None, fmt: str, lang: str,
            show_traceback: bool) -> int:
    """List MUNICIPALITY's forks that are behind their upstream."""
    from cli.client import Client, echo_json
    from registry.municipalities import check_code, name_of

    check_code(municipality)
    rows = Client(registry, token).get(f"/api/v1/municipalities/{municipality}/behind")
    if fmt == "json":
        echo_json({"municipality": municipality, "behind": [
            {"template": f"{r['lg']}/{r['slug']}", "latest_version": r["latest_version"],
             "upstream_template": r["upstream_template"], "upstream_version": r["upstream_version"],
             "upstream_latest": r["upstream_latest"], "behind": r["behind"]} for r in rows]})
    elif not rows:
        click.echo(f"{name_of(municipality)}: フォーク元に新しい版はありません。" if lang == "ja"
                   else f"{name_of(municipality)}: every fork is up to date.")
    else:
        for r in rows:
            if lang == "ja":
                click.echo(f"{r['lg']}/{r['slug']} {r['latest_version']}: フォーク元 "
                           f"{r['upstream_template']} に新しい版が {r['behind']} 件（取り込み済み "
                           f"{r['upstream_version']}、最新 {r['upstream_latest']}）。"
                           f"yoshiki pull {r['lg']}/{r['slug']} で取り込めます")
            else:
                click.echo(f"{r['lg']}/{r['slug']} {r['latest_version']}: {r['behind']} release(s) "
                           f"of {r['upstream_template']} waiting (took {r['upstream_version']}, "
                           f"latest {r['upstream_latest']}); run yoshiki pull {r['lg']}/{r['slug']}")
    return EXIT_BEHIND if rows else 0
