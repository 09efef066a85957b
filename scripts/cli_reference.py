"""Generate the README's CLI reference from ``--help`` (checked by tests/test_readme.py).

    python scripts/cli_reference.py          # print the section
    python scripts/cli_reference.py --write  # rewrite it in README.md
"""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner

from cli.main import group

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- cli-reference:start -->", "<!-- cli-reference:end -->"


def help_text(args: list[str]) -> str:
    """The --help output of ``yoshiki ARGS``."""
    result = CliRunner().invoke(group, [*args, "--help"], prog_name="yoshiki", terminal_width=100)
    if result.exit_code != 0:
        raise SystemExit(f"yoshiki {' '.join(args)} --help failed: {result.output}")
    return result.output.rstrip()


def command_paths() -> list[list[str]]:
    """Every command and subcommand, depth first."""
    import click

    paths: list[list[str]] = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        paths.append(path)
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    walk(sub, [*path, name])

    walk(group, [])
    return paths


def generate() -> str:
    """The Markdown section (without markers)."""
    parts = []
    for path in command_paths():
        title = " ".join(["yoshiki", *path])
        parts.append(f"### `{title}`\n\n```\n{help_text(path)}\n```\n")
    return "\n".join(parts)


def rewrite(readme: str, section: str) -> str:
    """README text with the section between the markers replaced."""
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{section}\n{END}{tail}"


if __name__ == "__main__":
    section = generate()
    if "--write" in sys.argv:
        README.write_text(rewrite(README.read_text(encoding="utf-8"), section), encoding="utf-8")
    else:
        print(section)
