"""The README's CLI reference is generated from --help and must stay current (as sqlite-utils)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generated() -> str:
    out = subprocess.run([sys.executable, "scripts/cli_reference.py"], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return out.stdout


def test_cli_reference_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- cli-reference:start -->\n", 1)[1].split("<!-- cli-reference:end -->", 1)[0]
    assert section.strip() == _generated().strip(), (
        "README's CLI reference is stale: run `python scripts/cli_reference.py --write`"
    )


def test_every_command_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "cli", "--help"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    commands = [line.split()[0] for line in out.split("Commands:", 1)[1].splitlines() if line.strip()]
    assert commands, "yoshiki --help lists no commands"
    for name in commands:
        assert f"### `yoshiki {name}`" in readme, f"yoshiki {name} is missing from the README"


def test_readme_names_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "scripts/dev test" in readme
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/dev test" in ci, ".ci/run must call the README's test command"


def test_readme_ci_examples_are_the_ones_the_tests_run() -> None:
    """Every ``ci-example`` block in the README is the block tests/cli/test_init.py runs from docs/ci.md."""
    import re

    def blocks(text: str) -> dict[str, str]:
        return {m.group(1): m.group(2) for m in
                re.finditer(r"<!-- (ci-example: [a-z-]+) -->\n```[a-z]*\n(.*?)\n```", text, re.S)}

    readme = blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    docs = blocks((ROOT / "docs" / "ci.md").read_text(encoding="utf-8"))
    assert readme, "the README shows no CI example"
    for marker, body in readme.items():
        assert body == docs.get(marker), f"README's {marker} differs from docs/ci.md"
