"""``yoshiki ci``: the checks a city's template repository runs on every pull request.

The git side lives here (the ``git`` CLI through subprocess: no GitPython, one short process per
question); the decisions are in ``registry.checks.repository``. The base is ``--base REF``, else the
merge base with the default branch (``origin/HEAD``, ``origin/main``, ``origin/master``, ``main``,
``master``), else ``HEAD~1``; with no commit or a single commit, everything is new. The working tree
is read from disk, untracked files included (ignored files are not).

On the default branch with uncommitted changes (a pre-commit hook, a local run) the base is HEAD.

Exit 0 when there are no errors, 1 on errors, 2 on usage errors (not a git repository),
3 when ``--base`` names nothing.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.options import EXIT_INVALID, format_option, guarded, lang_option, traceback_option

if TYPE_CHECKING:
    from registry.checks.repository import CheckResult, Tree, UpstreamInfo
    from registry.layout import VersionKey
    from registry.models import Issue

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
DEFAULT_BRANCHES = ("origin/main", "origin/master", "main", "master")


class Git:
    """Runs ``git`` in one work tree; every call is one short subprocess."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Run a git command; a failure with ``check`` becomes a UsageError with git's message."""
        from registry.errors import UsageError

        try:
            proc = subprocess.run(["git", *args], cwd=self.cwd, capture_output=True, check=False,
                                  env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"})
        except FileNotFoundError:
            raise UsageError("git is not installed (yoshiki ci needs the git command)",
                             detail_ja="git がインストールされていません（yoshiki ci には git コマンドが必要です）") from None
        if check and proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip()
            raise UsageError(f"git {' '.join(args)} failed: {msg}",
                             detail_ja=f"git {' '.join(args)} が失敗しました: {msg}")
        return proc

    def out(self, *args: str) -> str:
        """Standard output of a git command, stripped."""
        return self.run(*args).stdout.decode("utf-8", "replace").strip()

    def commit_of(self, ref: str) -> str | None:
        """The commit a ref names, or None."""
        proc = self.run("rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False)
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    def zlist(self, *args: str) -> list[str]:
        """A NUL-separated listing."""
        data = self.run(*args).stdout
        return [p.decode("utf-8", "surrogateescape") for p in data.split(b"\0") if p]


def find_base(git: Git, ref: str | None, prefix: str = "") -> tuple[str, str]:
    """(commit or the empty tree, a label for messages) of the comparison base."""
    from registry.errors import NotFound

    if ref is not None:
        commit = git.commit_of(ref)
        if commit is None:
            raise NotFound(f"--base {ref}: no such commit, branch or tag (fetch it first: actions/checkout needs fetch-depth: 0)",
                           detail_ja=f"--base {ref}: そのコミット・ブランチ・タグはありません（先に取得してください。actions/checkout では fetch-depth: 0 が必要です）")
        return commit, ref
    head = git.commit_of("HEAD")
    if head is None:
        return EMPTY_TREE, "(コミットなし / no commits)"
    candidates: list[str] = []
    origin_head = git.run("symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD", check=False)
    if origin_head.returncode == 0:
        candidates.append(origin_head.stdout.decode().strip())
    candidates.extend(DEFAULT_BRANCHES)
    for name in candidates:
        if git.commit_of(name) is None:
            continue
        proc = git.run("merge-base", "HEAD", name, check=False)
        base = proc.stdout.decode().strip()
        if proc.returncode == 0 and base and base != head:
            return base, f"merge-base(HEAD, {name})"
    # On the default branch itself (or with none): uncommitted changes are what a pre-commit hook
    # or a local run checks, so compare with HEAD; a clean tree (CI after a push) checks HEAD's
    # own commit against its parent.
    dirty = git.run("status", "--porcelain", "-z", "--untracked-files=all", "--", prefix or ".").stdout
    if dirty.strip(b"\0"):
        return head, "HEAD"
    parent = git.commit_of("HEAD~1")
    if parent is not None:
        return parent, "HEAD~1"
    return EMPTY_TREE, "(最初のコミット / first commit)"


def _strip(prefix: str, paths: Sequence[str]) -> list[str]:
    if not prefix:
        return list(paths)
    return [p[len(prefix) + 1:] for p in paths if p.startswith(prefix + "/")]


def read_trees(git: Git, toplevel: Path, prefix: str, base: str) -> tuple[Tree, Tree, set[str] | None]:
    """The base tree, the working tree and the set of paths whose content differs."""
    from registry.checks.repository import Tree

    spec = [prefix] if prefix else []
    blobs: dict[str, str] = {}
    if base != EMPTY_TREE:
        data = git.run("ls-tree", "-r", "-z", "--full-tree", base, "--", *spec).stdout
        for entry in data.split(b"\0"):
            if not entry:
                continue
            meta, _, path = entry.partition(b"\t")
            parts = meta.split()
            if len(parts) == 3 and parts[1] == b"blob":
                blobs[path.decode("utf-8", "surrogateescape")] = parts[2].decode()
    base_paths = {p[len(prefix) + 1:] if prefix else p: sha for p, sha in blobs.items()
                  if not prefix or p.startswith(prefix + "/")}

    def read_base(path: str) -> bytes | None:
        sha = base_paths.get(path)
        if sha is None:
            return None
        return git.run("cat-file", "blob", sha).stdout

    listed = git.zlist("ls-files", "-z", "--cached", "--others", "--exclude-standard", "--full-name",
                       "--", *(spec or ["."]))
    root = toplevel / prefix if prefix else toplevel
    head_paths = {p for p in _strip(prefix, listed) if (root / p).is_file()}

    def read_head(path: str) -> bytes | None:
        try:
            return (root / path).read_bytes() if path in head_paths else None
        except OSError:
            return None

    changed: set[str] | None = None
    if base != EMPTY_TREE:
        diffed = git.zlist("diff", "--name-only", "-z", "--no-renames", base, "--", *(spec or ["."]))
        untracked = git.zlist("ls-files", "-z", "--others", "--exclude-standard", "--full-name",
                              "--", *(spec or ["."]))
        changed = set(_strip(prefix, diffed)) | set(_strip(prefix, untracked))
    return (Tree(frozenset(base_paths), read_base), Tree(frozenset(head_paths), read_head), changed)


def registry_lookup(url: str) -> Any:
    """An upstream lookup over the registry's API: ``GET /api/v1/templates/{lg}/{slug}/versions/{v}``."""
    import httpx

    from registry.checks.repository import UpstreamInfo
    from registry.errors import RegistryError

    base = url.rstrip("/")

    def lookup(name: str, version: str) -> UpstreamInfo:
        where = f"{base}/api/v1/templates/{name}/versions/{version}"
        try:
            with httpx.Client(timeout=15.0, follow_redirects=True) as client:
                resp = client.get(where)
                if resp.status_code == 404:
                    return UpstreamInfo(exists=False)
                if resp.status_code != 200:
                    raise RegistryError(f"GET {where} answered HTTP {resp.status_code}",
                                        detail_ja=f"GET {where} が HTTP {resp.status_code} を返しました")
                schema_resp = client.get(f"{where}/schema.json")
                schema = schema_resp.json() if schema_resp.status_code == 200 else None
                return UpstreamInfo(exists=True, schema=schema)
        except httpx.HTTPError as exc:
            raise RegistryError(f"cannot reach {base}: {exc.__class__.__name__}: {exc}",
                                detail_ja=f"{base} に接続できません: {exc.__class__.__name__}: {exc}") from None
        except ValueError:
            return UpstreamInfo(exists=True)

    return lookup


def _prefixed(issues: list[Issue], prefix: str) -> list[Issue]:
    if not prefix:
        return issues
    import msgspec

    return [msgspec.structs.replace(i, file=f"{prefix}/{i.file}") if i.file else i for i in issues]


def summary_of(result: CheckResult, errors: int, warnings: int, lang: str) -> str:
    """The last line: what was compared and what was found."""
    added, modified, deleted = (len(result.changes.added), len(result.changes.modified),
                                len(result.changes.deleted))
    if lang == "ja":
        head = f"yoshiki ci: 追加 {added} 版、変更 {modified} 版、削除 {deleted} 版"
        tail = f"エラー {errors} 件、警告 {warnings} 件" if errors or warnings else "問題は見つかりませんでした"
        return f"{head} — {tail}"
    head = f"yoshiki ci: {added} added, {modified} modified, {deleted} deleted version(s)"
    tail = f"{errors} error(s), {warnings} warning(s)" if errors or warnings else "no problems found"
    return f"{head} — {tail}"


def _version_lines(result: CheckResult, lang: str) -> list[str]:
    lines = []
    for r in result.versions:
        if r.previous is None:
            what = "新しいテンプレート" if lang == "ja" else "new template"
        elif lang == "ja":
            what = f"{r.previous} から {r.declared_bump}（必要: {r.required_bump}、互換性モード {r.mode}）"
        else:
            what = f"from {r.previous}: {r.declared_bump} (needs {r.required_bump}, mode {r.mode})"
        up = f" ← {r.upstream}" if r.upstream else ""
        lines.append(f"{'追加' if lang == 'ja' else 'added'} {r.version}: {what}{up}")
    return lines


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
    from cli import reporters
    from cli.ci_reports import markdown_summary, sarif
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
        upstream_lookup=registry_lookup(registry_url) if registry_url else None,
        policy=Policy.strict() if policy == "strict" else Policy.lenient(),
        base_label=base_ref or (base[:12] if base != EMPTY_TREE else "HEAD"))
    # CI's own issues name files relative to the layout root; validation's and lint's are already
    # relative to the top of the work tree.
    issues = [_prefixed([i], prefix)[0] if i.rule.startswith("ci.") else i for i in result.issues]
    if registry_url:
        from cli.published import published_issues, registry_fetch

        issues += published_issues(result.changes.added, folder, registry_fetch(registry_url))
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
                      *_version_lines(result, lang)]
        out = "\n".join(head_lines) + "\n" + reporters.text(issues, lang, summary)
    click.echo(out)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as fh:
            fh.write(md + "\n")
    return EXIT_INVALID if errors else 0
