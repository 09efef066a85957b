"""Options every command shares, and the one place where errors become messages and exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from registry import errors

F = TypeVar("F", bound=Callable[..., Any])

# STYLE.md's table: one mapping from the error model to exit codes.
EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_CONFLICT, EXIT_AUTH = 0, 1, 2, 3, 4, 5
EXIT_UNEXPECTED = 70
EXIT_CODES: list[tuple[type[errors.RegistryError], int]] = [
    (errors.NotFound, EXIT_NOT_FOUND),
    (errors.UsageError, EXIT_USAGE),
    (errors.VersionExists, EXIT_CONFLICT),
    (errors.Conflict, EXIT_CONFLICT),
    (errors.Unauthenticated, EXIT_AUTH),
    (errors.Forbidden, EXIT_AUTH),
    (errors.InvalidTemplate, EXIT_INVALID),
    (errors.IncompatibleChange, EXIT_INVALID),
    (errors.LimitExceeded, EXIT_INVALID),
]


def exit_code_for(error: errors.RegistryError) -> int:
    """The exit code of a registry error."""
    for cls, code in EXIT_CODES:
        if isinstance(error, cls):
            return code
    return EXIT_UNEXPECTED


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    """``--format`` with the given choices."""
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=default,
                        show_default=True, help="出力形式 / output format")


def lang_option(func: F) -> F:
    """``--lang ja|en`` (Japanese by default)."""
    return click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True,
                        envvar="YOSHIKI_LANG", help="メッセージの言語 / message language")(func)


def traceback_option(func: F) -> F:
    """``--traceback``: show the Python traceback of an unexpected error."""
    return click.option("--traceback", "show_traceback", is_flag=True,
                        help="想定外のエラーの詳細を表示 / show tracebacks of unexpected errors")(func)


def report_error(error: errors.RegistryError, lang: str) -> None:
    """Print a registry error and its issues to stderr."""
    click.echo(f"エラー: {error.text(lang)}" if lang == "ja" else f"error: {error.text(lang)}",
               err=True)
    for issue in error.issues:
        where = issue.file or ""
        if issue.line is not None:
            where += f":{issue.line}" + (f":{issue.column}" if issue.column is not None else "")
        if issue.pointer:
            where += f" #{issue.pointer}"
        text = issue.text(lang)
        if text and text not in error.text(lang):
            click.echo(f"  {where + ': ' if where else ''}{text}", err=True)
        hint = issue.hint_text(lang)
        if hint:
            click.echo(f"  → {hint}", err=True)


def guarded(func: F) -> F:
    """Run a command body; turn RegistryError into stderr + exit code, anything else into 70.

    The wrapped function receives ``lang`` and ``show_traceback`` like any other option and
    returns an exit code (or None for 0).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        lang = kwargs.get("lang", "ja")
        show_tb = kwargs.get("show_traceback", False)
        try:
            code = func(*args, **kwargs)
        except errors.RegistryError as exc:
            report_error(exc, lang)
            sys.exit(exit_code_for(exc))
        except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt, BrokenPipeError):
            raise
        except Exception as exc:
            if show_tb:
                import traceback  # only for an unexpected error

                traceback.print_exc()
            msg = (f"想定外のエラーです: {exc.__class__.__name__}: {exc}（--traceback で詳細を表示）"
                   if lang == "ja" else
                   f"unexpected error: {exc.__class__.__name__}: {exc} (--traceback shows it)")
            click.echo(msg, err=True)
            sys.exit(EXIT_UNEXPECTED)
        sys.exit(code or 0)

    return wrapper  # type: ignore[return-value]
