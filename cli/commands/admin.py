"""``yoshiki admin token create|revoke|list`` and ``yoshiki admin doctor``: API tokens, managed on the registry's own machine.

Tokens live in the index (hashed; ``reindex`` keeps them). ``create`` prints the token once —
it cannot be shown again. Works on the data folder directly (``--data-dir`` or
``YOSHIKI_DATA_DIR``), like ``yoshiki reindex``, and refuses a folder that holds no registry
(a mistyped path would otherwise start a second, empty one) unless ``--create`` says to.

``yoshiki admin doctor``: clear stale git locks and temporary files, catch the index up with
git (registry/recovery.py), and check the write path — what the server does at every start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.options import format_option, guarded, lang_option, traceback_option

_DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                         help="データフォルダー (既定 YOSHIKI_DATA_DIR, ~/.local/share/yoshiki) / data folder")


_CREATE = click.option("--create", is_flag=True,
                       help="データフォルダーにレジストリがなければ作る / create the registry if the folder holds none")


def _settings(data_dir: Path | None, create: bool = False) -> Any:
    """The settings of an existing registry (UsageError unless it exists or ``create``)."""
    from registry.config import Settings
    from registry.errors import UsageError

    settings = Settings.from_env(data_dir=data_dir)
    if not (settings.repo_path / "HEAD").is_file() and not create:
        raise UsageError(
            f"{settings.data_dir} holds no registry (no repository {settings.repo_path}); check "
            "--data-dir / YOSHIKI_DATA_DIR, or pass --create to start a new, empty one",
            detail_ja=f"{settings.data_dir} にレジストリがありません（リポジトリ {settings.repo_path} がありません）。"
                      "--data-dir / YOSHIKI_DATA_DIR を確かめるか、新しく作るときは --create を付けてください")
    return settings


def _index(data_dir: Path | None, create: bool = False) -> Any:
    from registry.storage.sql_index import SqlIndex

    settings = _settings(data_dir, create)
    if create:
        from registry.wiring import open_service

        return open_service(settings).index  # creates the repository and migrates the index
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
@_CREATE
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def create(municipality: str, name: str, admin: bool, data_dir: Path | None, create: bool,
           fmt: str, lang: str, show_traceback: bool) -> int:
    """Create a token and print it once."""
    import msgspec

    from registry.municipalities import name_of

    secret = _index(data_dir, create).create_token(municipality, name, admin)
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


@command.command("doctor", help="ロックの残り・一時ファイル・索引の遅れを直して報告する / repair and report")
@_DATA_DIR
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def doctor(data_dir: Path | None, fmt: str, lang: str, show_traceback: bool) -> int:
    """Clear stale git locks and temporary files, catch the index up with git, check the write path.

    Exit 0 when every check passes afterwards, 1 otherwise (the failing checks are printed).
    """
    import msgspec

    from registry.recovery import start, write_path_checks
    from registry.wiring import open_service

    service = open_service(_settings(data_dir))
    report = start(service)
    checks = write_path_checks(service)
    ok = all(v == "ok" for v in checks.values())
    if fmt == "json":
        click.echo(msgspec.json.encode({"ok": ok, "repaired": report, "checks": checks}).decode())
        return 0 if ok else 1
    cu = report.catch_up
    ja = lang == "ja"
    for lock in report.locks_removed:
        click.echo(f"古いロックを削除しました: {lock}" if ja else f"removed a stale git lock: {lock}")
    for lock in report.locks_left:
        click.echo(f"ロックが残っています（書き込み中の可能性）: {lock}" if ja else f"lock left (a writer may own it): {lock}")
    if report.temporary_removed:
        click.echo(f"一時ファイルを削除しました: {report.temporary_removed} 件" if ja
                   else f"removed {report.temporary_removed} temporary files")
    if cu is not None and cu.commits:
        how = ("全体を作り直し" if ja else "full reindex") if cu.full else ("差分" if ja else "incremental")
        click.echo(f"索引を git に追いつかせました（{how}）: コミット {cu.commits}、版 {cu.versions}、監査 {cu.audit_restored} 件を復元"
                   if ja else f"index caught up with git ({how}): {cu.commits} commits, {cu.versions} versions, "
                   f"{cu.audit_restored} audit entries restored")
    for line in (cu.skipped if cu else []):
        click.echo(f"索引にできないもの: {line}" if ja else f"not indexable: {line}", err=True)
    for name, value in checks.items():
        if value != "ok":
            click.echo(f"問題: {name}: {value}" if ja else f"problem: {name}: {value}", err=True)
    click.echo(("正常です" if ok else "問題があります") if ja else ("ok" if ok else "problems remain"))
    return 0 if ok else 1


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
