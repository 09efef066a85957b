"""``yoshiki diff OLD NEW``: what a change between two schemas does to data (docs/diff.md).

OLD/NEW: schema files, version folders, or ``LG/SLUG@VERSION`` in ``--repo`` (default: the
current folder). Exit 0 whenever the diff was computed, whatever it found; 1 only with
``--fail-on``; 2 usage; 3 not found.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.options import EXIT_INVALID, format_option, guarded, lang_option, traceback_option
from cli.sources import MODE_CHOICE, REF_DIR_OPTION


@click.command(help="二つのスキーマの意味的な差分（後方・前方互換性、版の上げ方）/ semantic diff of two schemas")
@click.argument("old")
@click.argument("new")
@format_option("text", "json", "markdown", "github")
@click.option("--policy", "policy_name", type=click.Choice(["strict", "lenient"]), default="lenient",
              show_default=True, help="strict: 純粋な集合の包含 / lenient: 定義された項目だけが送られる前提")
@click.option("--format-assertion/--no-format-assertion", default=False, show_default=True,
              help="format を検証に使う / treat format as an assertion")
@click.option("--repo", type=click.Path(path_type=Path, file_okay=False),
              help="LG/SLUG@VERSION を探すリポジトリ（既定: カレントフォルダ）")
@click.option("--fail-on", type=click.Choice(["breaking", "unknown"]),
              help="モードの方向が非互換（unknown: 非互換または判定不能）なら終了コード 1")
@click.option("--mode", type=MODE_CHOICE, default=None,
              help="互換性モード（既定: NEW の template.json の compatibility、なければ BACKWARD）")
@click.option("--no-witness", is_flag=True, help="反例（witness）を作らない / skip witnesses")
@click.option("--registry", default=None,
              help="LG/SLUG@VERSION をこのレジストリから取得する / fetch LG/SLUG@VERSION from this registry (docs/api.md)")
@REF_DIR_OPTION
@lang_option
@traceback_option
@guarded
def command(old: str, new: str, fmt: str, policy_name: str, format_assertion: bool,
            repo: Path | None, fail_on: str | None, mode: str | None, no_witness: bool,
            registry: str | None, ref_dir: Path | None, lang: str, show_traceback: bool) -> int:
    """Diff OLD and NEW."""
    from cli.render.diff import diff_dict, render_github, render_markdown, render_text
    from cli.sources import load, policy_from, remote
    from registry.checks.compatibility import DEFAULT_MODE
    from registry.diff import diff, mode_directions

    if registry:
        lo, ln = remote(old, registry), remote(new, registry)
    else:
        lo, ln = load(old, repo), load(new, repo)
    for loaded in (lo, ln):
        loaded.schemas.use_ref_dir(ref_dir)
    if mode is None:
        declared = (ln.template or {}).get("compatibility")
        mode = declared if isinstance(declared, str) else DEFAULT_MODE
    mode = mode.upper()
    d = diff(lo.schema, ln.schema, policy_from(policy_name, format_assertion), mode=mode,
             old_schemas=lo.schemas, new_schemas=ln.schemas, witnesses=not no_witness)
    need_b, need_f = mode_directions(mode)
    if mode == "NONE":
        need_b = need_f = True  # --fail-on with NONE: look at both directions
    if fmt == "json":
        click.echo(json.dumps({**diff_dict(d), "old": lo.display, "new": ln.display},
                              ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(render_markdown(d, lang, f"{lo.display} → {ln.display}"), nl=False)
    elif fmt == "github":
        click.echo(render_github(d, lang, lo, ln, (need_b, need_f)))
    else:
        header = (f"旧: {lo.display}\n新: {ln.display}" if lang == "ja"
                  else f"old: {lo.display}\nnew: {ln.display}")
        click.echo(render_text(d, lang, header))
    if fail_on is not None:
        bad = {"breaking"} if fail_on == "breaking" else {"breaking", "unknown"}
        if (need_b and d.backward in bad) or (need_f and d.forward in bad):
            return EXIT_INVALID
    return 0
