"""``yoshiki admin token create|revoke|list``: API tokens, managed on the registry's own machine.

Tokens live in the index (hashed; ``reindex`` keeps them). ``create`` prints the token once —
it cannot be shown again. Works on the data folder directly (``--data-dir`` or
``YOSHIKI_DATA_DIR``), like ``yoshiki reindex``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.options import format_option, guarded, lang_option, traceback_option

_DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                         help="データフォルダー (既定 YOSHIKI_DATA_DIR, ~/.local/share/yoshiki) / data folder")


def _index(data_dir: Path | None) -> Any:
    from registry.config import Settings
    from registry.storage.sql_index import SqlIndex

    settings = Settings.from_env(data_dir=data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    index = SqlIndex(settings.database_url)
    index.migrate()
    return index


@click.group(help="レジストリの管理 / registry administration")
def command() -> None:
    """The admin group."""


@command.group(help="API トークン / API tokens")
def token() -> None:
    """The token group."""


@token.command("create", help="トークンを作成して一度だけ表示する / create a token (shown once)")
@click.option("--municipality", default="", help="団体コード (例 132250) / LG code")
@click.option("--name", default="default", show_default=True, help="トークンの名前 (部署名など) / token name")
@click.option("--admin", is_flag=True, help="全団体に書き込める管理者トークン / admin token")
@_DATA_DIR
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def create(municipality: str, name: str, admin: bool, data_dir: Path | None, fmt: str, lang: str,
           show_traceback: bool) -> int:
    """Create a token and print it once."""
    import msgspec

    from registry.municipalities import name_of

    secret = _index(data_dir).create_token(municipality, name, admin)
    if fmt == "json":
        click.echo(msgspec.json.encode({"token": secret, "municipality": municipality,
                                        "name": name, "admin": admin}).decode())
        return 0
    who = f"{name_of(municipality)} {municipality} / {name}" if municipality else name
    click.echo(secret)
    if lang == "ja":
        click.echo(f"トークンを作成しました（{who}{'、管理者' if admin else ''}）。この表示は一度だけです。"
                   "yoshiki login に渡すか YOSHIKI_TOKEN に設定してください。", err=True)
    else:
        click.echo(f"token created ({who}{', admin' if admin else ''}); it is shown only once: "
                   "pass it to yoshiki login or set YOSHIKI_TOKEN.", err=True)
    return 0


@token.command("revoke", help="トークンを失効させる / revoke a token")
@click.option("--municipality", required=True, help="団体コード / LG code")
@click.option("--name", required=True, help="トークンの名前 / token name")
@_DATA_DIR
@lang_option
@traceback_option
@guarded
def revoke(municipality: str, name: str, data_dir: Path | None, lang: str, show_traceback: bool) -> int:
    """Revoke a municipality's token by name."""
    _index(data_dir).revoke_token(municipality, name)
    click.echo(f"失効しました: {municipality} / {name}" if lang == "ja" else f"revoked: {municipality} / {name}")
    return 0


@token.command("list", help="有効なトークンの一覧 (秘密は表示しない) / live tokens (never the secrets)")
@click.option("--municipality", default="", help="団体コード (省略時は管理者トークン) / LG code")
@_DATA_DIR
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def list_tokens(municipality: str, data_dir: Path | None, fmt: str, lang: str,
                show_traceback: bool) -> int:
    """List a municipality's live tokens."""
    import msgspec

    tokens = _index(data_dir).list_tokens(municipality)
    if fmt == "json":
        click.echo(msgspec.json.encode(tokens).decode())
        return 0
    for t in tokens:
        flag = " admin" if t.admin else ""
        click.echo(f"{t.municipality or '-'}\t{t.name}{flag}\tcreated {t.created_at}\tlast used {t.last_used_at or '-'}")
    return 0


@command.command("audit", help="監査ログを表示する（新しい順） / show the audit log, newest first")
@click.option("--since", default=None, help="この日時以降 (ISO 8601, 例 2026-12-01) / entries since")
@click.option("--municipality", default=None, help="団体コードのアカウントの記録だけ / one city's accounts")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True,
              help="最大件数 / at most this many")
@_DATA_DIR
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def audit(since: str | None, municipality: str | None, limit: int, data_dir: Path | None,
          fmt: str, lang: str, show_traceback: bool) -> int:
    """Print audit entries (writes, refusals, reindexes), newest first."""
    import msgspec

    from registry.municipalities import check_code

    if municipality:
        check_code(municipality)
    entries = _index(data_dir).audit_log(limit, since=since, municipality=municipality)
    if fmt == "json":
        click.echo(msgspec.json.encode(entries).decode())
        return 0
    if not entries:
        click.echo("記録はありません。" if lang == "ja" else "no entries.", err=True)
    for e in entries:
        where = f" from {e.remote_addr}" if e.remote_addr else ""
        detail = f" — {e.detail}" if e.detail else ""
        click.echo(f"{e.at}  {e.action:<10} {e.target}  {e.actor}{where}{detail}")
    return 0
