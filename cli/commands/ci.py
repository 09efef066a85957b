"""``yoshiki ci``: the checks a city's template repository runs on every pull request.

The git side is ``cli/gitrepo.py`` (the ``git`` CLI through subprocess: no GitPython, one short
process per question); the decisions are in ``registry.checks.repository``; the reports in
``cli/render/ci.py``. The base is ``--base REF``, else the
merge base with the default branch (``origin/HEAD``, ``origin/main``, ``origin/master``, ``main``,
``master``), else ``HEAD~1``; with no commit or a single commit, everything is new. The working tree
is read from disk, untracked files included (ignored files are not).

On the default branch with uncommitted changes (a pre-commit hook, a local run) the base is HEAD.

Exit 0 when there are no errors, 1 on errors, 2 on usage errors (not a git repository),
3 when ``--base`` names nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.options import EXIT_INVALID, format_option, guarded, lang_option, traceback_option

if TYPE_CHECKING:
    from registry.layout import VersionKey
    from registry.models import Issue

def _prefixed(issues: list[Issue], prefix: str) -> list[Issue]:
    if not prefix:
        return issues
    import msgspec

    return [msgspec.structs.replace(i, file=f"{prefix}/{i.file}") if i.file else i for i in issues]


@click.command(help="テンプレートリポジトリの変更を検査する（公開済みの版の変更、版上げ、互換性、フォークの固定項目）"
                    " / check a template repository's changes in CI")
@click.option("--base", "base_ref", metavar="REF",
              help="比較の基点（既定: 既定ブランチとのマージベース、なければ HEAD~1） / base to compare with")
@click.option("--repo", "repo_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True, help="テンプレートリポジトリのフォルダ / the repository (layout root)")
@format_option("text", "json", "github", "markdown", "sarif")
@lang_option
@click.option("--registry", "registry_url", metavar="URL",
              help="upstream と公開済みの版をこのレジストリでも確認する / also check upstreams and "
                   "already-published versions against this registry")
@click.option("--policy", type=click.Choice(["strict", "lenient"]), default="lenient", show_default=True,
              help="差分の方針 (docs/diff.md) / diff policy")
@traceback_option
@guarded
def command(base_ref: str | None, repo_dir: Path, fmt: str, lang: str, registry_url: str | None,
            policy: str, show_traceback: bool) -> int:
    """Check what changed between the base and the working tree."""
    from cli.client import upstream_lookup
    from cli.gitrepo import EMPTY_TREE, Git, find_base, read_trees
    from cli.render import issues as reporters
    from cli.render.ci import markdown_summary, sarif, summary_of, version_lines
    from registry.checks.lint import lint_version_dir
    from registry.checks.repository import check_repository
    from registry.checks.validation import validate_version_dir
    from registry.diff import Policy
    from registry.errors import NotFound

    if not repo_dir.is_dir():
        raise NotFound(f"{repo_dir}: no such folder", detail_ja=f"{repo_dir}: フォルダがありません")
    repo_dir = repo_dir.resolve()
    toplevel = Path(Git(repo_dir).out("rev-parse", "--show-toplevel")).resolve()
    git = Git(toplevel)
    prefix = repo_dir.relative_to(toplevel).as_posix() if repo_dir != toplevel else ""
    prefix = "" if prefix == "." else prefix
    base, label = find_base(git, base_ref, prefix)
    base_tree, head_tree, changed = read_trees(git, toplevel, prefix, base)
    # Validation and lint name files relative to the working directory: run them from the top of
    # the work tree so that every file name is what GitHub annotations and SARIF expect.
    os.chdir(toplevel)

    def folder(key: VersionKey) -> Path:
        return Path(prefix, key.relpath) if prefix else Path(key.relpath)

    def validate(key: VersionKey) -> list[Issue]:
        return validate_version_dir(folder(key))

    def lint(key: VersionKey) -> list[Issue]:
        return lint_version_dir(folder(key))

    result = check_repository(
        base_tree, head_tree, changed=changed, validate=validate, lint=lint,
        upstream_lookup=upstream_lookup(registry_url) if registry_url else None,
        policy=Policy.strict() if policy == "strict" else Policy.lenient(),
        base_label=base_ref or (base[:12] if base != EMPTY_TREE else "HEAD"))
    # CI's own issues name files relative to the layout root; validation's and lint's are already
    # relative to the top of the work tree.
    issues = [_prefixed([i], prefix)[0] if i.rule.startswith("ci.") else i for i in result.issues]
    if registry_url:
        from cli.published import lineage_issues, published_issues, registry_fetch

        issues += published_issues(result.changes.added, folder, registry_fetch(registry_url))
        issues += lineage_issues(result.changes.added, folder, registry_url)
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = sum(1 for i in issues if i.severity == "warning")
    summary = summary_of(result, errors, warnings, lang)
    base_text = f"{label} ({base[:12]})" if base != EMPTY_TREE else label
    md = markdown_summary(result, issues, lang, summary, base_text)
    if fmt == "sarif":
        out = sarif(issues, lang, summary)
    elif fmt == "markdown":
        out = md
    elif fmt == "json":
        import msgspec

        out = reporters.json(issues, lang, summary, extra={
            "base": base, "base_label": label,
            "added": [str(k) for k in result.changes.added],
            "modified": {str(k): [f"{prefix}/{f}" if prefix else f for f in files]
                         for k, files in result.changes.modified.items()},
            "deleted": [str(k) for k in result.changes.deleted],
            "versions": msgspec.to_builtins(result.versions)})
    elif fmt == "github":
        out = reporters.github(issues, lang, summary)
    else:
        head_lines = [("比較の基点: " if lang == "ja" else "base: ") + base_text,
                      *version_lines(result, lang)]
        out = "\n".join(head_lines) + "\n" + reporters.text(issues, lang, summary)
    click.echo(out)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as fh:
            fh.write(md + "\n")
    return EXIT_INVALID if errors else 0
