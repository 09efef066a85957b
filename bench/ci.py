"""Time of ``yoshiki ci`` on a repository where many versions are new, and where few are.

Builds a git repository in a temporary folder from the starter catalogue, copied ``--copies``
times under new slugs (each copy's ``$id`` rewritten), then measures ``yoshiki ci`` as a CLI
subprocess:

- all new: the first commit holds everything (every version validated, linted and diffed);
- one added version: a pull request adding one minor version on top of everything published
  (the common case: the cost should not grow with the size of the repository beyond listing it).

Run: ``.venv/bin/python bench/ci.py [--copies 10]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "templates_repo"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.jp",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@example.jp", "PYTHONUTF8": "1"}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=ENV)


def build(repo: Path, copies: int) -> int:
    """The catalogue plus ``copies`` renamed copies of each template; returns the version count."""
    shutil.copytree(CATALOGUE, repo)
    count = sum(1 for _ in repo.glob("*/*/*/schema.json"))
    for schema in sorted(CATALOGUE.glob("*/*/*/schema.json")):
        version_dir = schema.parent
        lg, slug, version = version_dir.parent.parent.name, version_dir.parent.name, version_dir.name
        for i in range(copies):
            dest = repo / lg / f"{slug}-{i}" / version
            shutil.copytree(version_dir, dest)
            doc = (dest / "schema.json").read_text(encoding="utf-8")
            (dest / "schema.json").write_text(doc.replace(f"/{lg}/{slug}/{version}/schema.json",
                                                          f"/{lg}/{slug}-{i}/{version}/schema.json"), encoding="utf-8")
            count += 1
    return count


def timed(repo: Path, *args: str) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "cli", "ci", *args], cwd=repo, capture_output=True,
                          text=True, env=ENV, check=False)
    return time.perf_counter() - start, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=10)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        versions = build(repo, opts.copies)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "all")
        all_new, rc_all = timed(repo)
        git(repo, "checkout", "-q", "-b", "feature")
        src = repo / "272264/absence-notice/1.0.1"
        dest = repo / "272264/absence-notice/1.0.2"
        shutil.copytree(src, dest)
        schema = json.loads((dest / "schema.json").read_text(encoding="utf-8"))
        schema["$id"] = schema["$id"].replace("/1.0.1/", "/1.0.2/")
        schema["title"] = schema.get("title", "") + "（文言の修正）"
        (dest / "schema.json").write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "1.0.2")
        one, rc_one = timed(repo)
        noop, _ = timed(repo, "--base", "HEAD")
    print(f"versions in the repository: {versions}")
    print(f"all new (first commit):     {all_new:6.2f} s  ({all_new / versions * 1000:5.1f} ms/version, exit {rc_all})")
    print(f"one added patch version:    {one:6.2f} s  (exit {rc_one})")
    print(f"nothing changed (start-up): {noop:6.2f} s")
    print(f"one added / nothing:        {one / noop:6.2f}x")


if __name__ == "__main__":
    main()
