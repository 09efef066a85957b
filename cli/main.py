"""The ``yoshiki`` command group: commands are discovered in ``cli/commands/`` and imported lazily.

Each module ``cli/commands/<name>.py`` defines ``command`` (a click command); the command's name is
the module name with ``_`` turned into ``-``. Nothing heavy is imported before a command runs, so
``yoshiki --help`` and the local commands start fast (tests check ``sys.modules``).
"""

from __future__ import annotations

import importlib
import keyword
import sys
from pathlib import Path

import click

import cli.commands
from registry import __version__

HELP = """様式 Yoshiki — 自治体の申請フォームのテンプレートを共有するレジストリ。

A shared registry of online-application form templates for Japanese municipalities.

終了コード / exit codes: 0 成功 ok, 1 不正・非互換 invalid, 2 指定の誤り usage,
3 見つからない not found, 4 公開済み・競合 exists/conflict, 5 認証 auth, 70 想定外 unexpected.
"""


class LazyGroup(click.Group):
    """A group whose subcommands are modules of cli.commands, imported only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        import pkgutil

        # A module named after a Python keyword ends in "_" (import_.py is ``yoshiki import``).
        names = [m.name.rstrip("_").replace("_", "-") for m in pkgutil.iter_modules(cli.commands.__path__)
                 if not m.name.startswith("_")]
        return sorted(names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        # One file check instead of listing the package (and importing pkgutil) on every run.
        name = cmd_name.replace("-", "_")
        if name.endswith("_"):  # "import_" is the module of ``yoshiki import``, not a command name
            return None
        if keyword.iskeyword(name):
            name += "_"
        if name.startswith("_") or not any((Path(p) / f"{name}.py").is_file() for p in cli.commands.__path__):
            return None
        module = importlib.import_module(f"cli.commands.{name}")
        command: click.Command = module.command
        return command


@click.group(cls=LazyGroup, help=HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="yoshiki")
def group() -> None:
    """The yoshiki command group."""


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    group.main(args=argv, prog_name="yoshiki")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
