"""``yoshiki compat NEW OLD... --mode MODE``: does NEW keep the compatibility mode (docs/diff.md)?

OLDs are given oldest first; transitive modes check NEW against every one, the others against the
last. Exit 0 compatible, 1 not (or unknown), 2 usage, 3 not found. The output lists the changes
that decide it.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.options import EXIT_INVALID, format_option, guarded, lang_option, traceback_option
from cli.sources import MODE_CHOICE, REF_DIR_OPTION


@click.command(help="新しい版が互換性モードを満たすか確認する / check a new version against earlier ones")
@click.argument("new")
@click.argument("olds", nargs=-1, required=True)
@click.option("--mode", type=MODE_CHOICE, required=True, help="互換性モード / compatibility mode")
@click.option("--policy", "policy_name", type=click.Choice(["strict", "lenient"]), default="lenient",
              show_default=True, help="strict: 純粋な集合の包含 / lenient: 定義された項目だけが送られる前提")
@click.option("--format-assertion/--no-format-assertion", default=False, show_default=True,
              help="format を検証に使う / treat format as an assertion")
@format_option("text", "json", "markdown", "github")
@click.option("--repo", type=click.Path(path_type=Path, file_okay=False),
              help="LG/SLUG@VERSION を探すリポジトリ（既定: カレントフォルダ）")
@REF_DIR_OPTION
@lang_option
@traceback_option
@guarded
def command(new: str, olds: tuple[str, ...], mode: str, policy_name: str, format_assertion: bool,
            fmt: str, repo: Path | None, ref_dir: Path | None, lang: str, show_traceback: bool) -> int:
    """Check NEW against OLDS under MODE."""
    from cli.render.diff import (
        VERDICT_ICON,
        VERDICT_JA,
        change_dict,
        render_github,
        render_markdown,
        render_text,
    )
    from cli.sources import load, policy_from
    from registry.checks.compatibility import deciding_changes, mode_verdict
    from registry.diff import Diff, diff, mode_directions

    mode = mode.upper()
    need_b, need_f = mode_directions(mode)
    ln = load(new, repo)
    loaded = [load(o, repo) for o in olds]
    for lo in (ln, *loaded):
        lo.schemas.use_ref_dir(ref_dir)
    targets = [] if mode == "NONE" else loaded if mode.endswith("_TRANSITIVE") else loaded[-1:]
    policy = policy_from(policy_name, format_assertion)
    results: list[tuple[str, Diff]] = []
    for lo in targets:
        d = diff(lo.schema, ln.schema, policy, mode=mode, old_schemas=lo.schemas,
                 new_schemas=ln.schemas)
        d.changes = deciding_changes(d, mode)  # only the changes that decide the verdict
        results.append((lo.display, d))
    verdict = mode_verdict([d for _, d in results], mode)
    ok = verdict == "compatible"
    if fmt == "json":
        click.echo(json.dumps({
            "ok": ok, "verdict": verdict, "mode": mode, "new": ln.display,
            "results": [{"old": name, "backward": d.backward, "forward": d.forward, "bump": d.bump,
                         "changes": [change_dict(c) for c in d.changes]} for name, d in results],
        }, ensure_ascii=False))
    elif fmt == "markdown":
        for name, d in results:
            click.echo(render_markdown(d, lang, f"{name} → {ln.display} ({mode})"))
    elif fmt == "github":
        for name, d in results:
            click.echo(render_github(d, lang, next(x for x in loaded if x.display == name), ln,
                                     (need_b, need_f)))
    else:
        for name, d in results:
            head = (f"旧: {name}\n新: {ln.display}" if lang == "ja" else f"old: {name}\nnew: {ln.display}")
            click.echo(render_text(d, lang, head))
            click.echo("")
    if lang == "ja":
        line = (f"{VERDICT_ICON[verdict]} 互換性モード {mode}: {VERDICT_JA[verdict]}"
                f"（比較した版 {len(results)} 件）")
    else:
        line = f"{VERDICT_ICON[verdict]} compatibility mode {mode}: {verdict} ({len(results)} version(s) checked)"
    click.echo(line, err=fmt == "json")
    return 0 if ok else EXIT_INVALID
