"""``yoshiki serve [--host] [--port] [--data-dir D] [--empty] [--workers N] [--replica-of URL]``.

The data folder (``--data-dir``, else ``YOSHIKI_DATA_DIR``, else ``~/.local/share/yoshiki``)
holds the bare repository ``templates.git`` and the SQLite index ``index.sqlite3``
(``YOSHIKI_DATABASE_URL`` puts the index on PostgreSQL). On first start the empty repository
is seeded with the packaged starter catalogue, one commit per version with its lineage, unless
``--empty``.

``--replica-of URL`` (or ``YOSHIKI_PRIMARY_URL``) makes this node a read replica of the primary
at URL: it is not seeded, it fetches the primary's repository over ``URL/git`` and follows it
(registry/replica.py); writes and accounts are forwarded to the primary.
"""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import guarded, lang_option, traceback_option


@click.command(help="レジストリを起動する / run the registry (API at /api/v1, OpenAPI at /schema)")
@click.option("--host", default="127.0.0.1", show_default=True, help="待ち受けるアドレス / bind address")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="ポート / port")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="データフォルダー (既定 YOSHIKI_DATA_DIR, ~/.local/share/yoshiki) / data folder")
@click.option("--empty", is_flag=True, help="カタログを入れずに始める / start without the starter catalogue")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="ワーカー数 / worker processes")
@click.option("--replica-of", "replica_of", metavar="URL", default=None,
              help="読み取り専用レプリカとして主ノード URL に追従する (YOSHIKI_PRIMARY_URL) / "
                   "follow the primary at URL as a read replica")
@lang_option
@traceback_option
@guarded
def command(host: str, port: int, data_dir: Path | None, empty: bool, workers: int,
            replica_of: str | None, lang: str, show_traceback: bool) -> int:
    """Seed on first start, print where everything is, then serve until interrupted."""
    from dataclasses import replace

    from registry.config import Settings, primary_base
    from registry.web import server

    settings = Settings.from_env(data_dir=data_dir)
    if replica_of:
        settings = replace(settings, primary_url=primary_base(replica_of))
    seeded = server.prepare(settings, empty=empty)
    where = settings.data_dir

    def announce(url: str) -> None:
        token_cmd = f"yoshiki admin token create --municipality 132241 --name 情報政策課 --data-dir {where}"
        if settings.primary_url:  # tokens live in the primary's index (not in git)
            token_cmd = (f"{settings.primary_url} のマシンで / on the primary's machine: "
                         "yoshiki admin token create --municipality 132241 --name 情報政策課")
        if lang == "ja":
            if settings.primary_url:
                click.echo(f"読み取り専用レプリカ: 主ノード {settings.primary_url} に追従します"
                           "（書き込みは主ノードへ転送）")
            if seeded:
                click.echo(f"カタログから {seeded} 版を登録しました。")
            click.echo(f"レジストリ: {url}  (API {url}/api/v1, OpenAPI {url}/schema)")
            click.echo(f"データフォルダー: {where}  (リポジトリ {settings.repo_path})")
            click.echo(f"書き込み用トークンの作成: {token_cmd}")
        else:
            if settings.primary_url:
                click.echo(f"read replica of {settings.primary_url} (writes are forwarded there)")
            if seeded:
                click.echo(f"seeded {seeded} versions from the starter catalogue.")
            click.echo(f"registry: {url}  (API {url}/api/v1, OpenAPI {url}/schema)")
            click.echo(f"data folder: {where}  (repository {settings.repo_path})")
            click.echo(f"create a token for writes: {token_cmd}")

    server.run(settings, host=host, port=port, workers=workers, announce=announce)
    return 0
