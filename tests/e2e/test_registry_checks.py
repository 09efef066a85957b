"""``validate --registry`` and ``ci --registry`` against a real served registry (issue 16, point 9)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from served import Registry

FORK = "132250/staff-lunch-survey@1.0.0"


def test_a_fork_downloaded_with_get_validates_with_registry(module_registry: Registry, tmp_path: Path) -> None:
    r = module_registry.cli("get", FORK, "-o", tmp_path / "work")
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "work" / "132250" / "staff-lunch-survey" / "1.0.0"
    alone = module_registry.cli("validate", folder)
    assert alone.returncode == 1
    assert "layout.upstream-missing" in alone.stdout
    proc = module_registry.cli("validate", folder, "--registry", module_registry.url)
    assert (proc.returncode, proc.stdout) == (0, "問題は見つかりませんでした\n"), proc.stdout + proc.stderr
    # An upstream the registry does not have either is still reported.
    template = json.loads((folder / "template.json").read_text(encoding="utf-8"))
    template["upstream"]["version"] = "9.9.9"
    (folder / "template.json").write_text(json.dumps(template, ensure_ascii=False), encoding="utf-8")
    proc = module_registry.cli("validate", folder, "--registry", module_registry.url)
    assert proc.returncode == 1
    assert "layout.upstream-missing" in proc.stdout


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                    *args], check=True, capture_output=True)


def test_ci_refuses_a_version_published_with_other_content(module_registry: Registry, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("x\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    # The published 132241/public-comment@1.0.0, byte for byte: nothing to say.
    r = module_registry.cli("get", "132241/public-comment@1.0.0", "-o", repo)
    assert r.returncode == 0, r.stderr
    same = module_registry.cli("ci", "--repo", repo, "--base", "main", "--registry", module_registry.url)
    assert "ci.published-differs" not in same.stdout, same.stdout
    # Same number, other content: refused, naming the file.
    schema_path = repo / "132241" / "public-comment" / "1.0.0" / "schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    schema["title"] = str(schema.get("title", "")) + "（改）"
    schema_path.write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
    proc = module_registry.cli("ci", "--repo", repo, "--base", "main", "--registry", module_registry.url)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "[エラー ci.published-differs] 132241/public-comment@1.0.0 はレジストリで既に公開されていて" in proc.stdout
    assert "132241/public-comment/1.0.0/schema.json" in proc.stdout
    # Without --registry the CI cannot know.
    alone = module_registry.cli("ci", "--repo", repo, "--base", "main")
    assert "ci.published-differs" not in alone.stdout


def test_ci_refuses_a_fork_that_drops_its_upstream(module_registry: Registry, tmp_path: Path) -> None:
    """稲城市's fork on the registry: a 1.0.1 without `upstream` would shed the locked fields."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("x\n", encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    r = module_registry.cli("get", FORK, "-o", repo)
    assert r.returncode == 0, r.stderr
    old = repo / "132250" / "staff-lunch-survey" / "1.0.0"
    new = repo / "132250" / "staff-lunch-survey" / "1.0.1"
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "published 1.0.0")
    shutil.copytree(old, new)
    template = json.loads((new / "template.json").read_text(encoding="utf-8"))
    schema = json.loads((new / "schema.json").read_text(encoding="utf-8"))
    schema["$id"] = schema["$id"].replace("/1.0.0/", "/1.0.1/")
    (new / "schema.json").write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
    kept = module_registry.cli("ci", "--repo", repo, "--base", "main", "--registry", module_registry.url)
    assert "lineage.upstream-required" not in kept.stdout, kept.stdout
    del template["upstream"]
    (new / "template.json").write_text(json.dumps(template, ensure_ascii=False, indent=2), encoding="utf-8")
    proc = module_registry.cli("ci", "--repo", repo, "--base", "main", "--registry", module_registry.url)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "lineage.upstream-required" in proc.stdout
    assert "132250/staff-lunch-survey@1.0.0 は 132241/staff-lunch-survey のフォークです" in proc.stdout
    assert "132250/staff-lunch-survey/1.0.1/template.json" in proc.stdout
    # Without --registry the repository alone cannot know the template was a fork.
    alone = module_registry.cli("ci", "--repo", repo, "--base", "main")
    assert "lineage.upstream-required" not in alone.stdout
