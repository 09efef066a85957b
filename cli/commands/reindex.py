"""``yoshiki reindex [--data-dir D] [--seed FOLDER]``: rebuild the SQL index from git alone.

The index is a cache of the registry's bare repository: this replaces everything in it but the
API tokens (and the audit log, which only grows), and is idempotent. ``--seed`` first publishes
every version of a folder in the canonical layout (e.g. templates_repo/) that the repository
does not have yet — the way to start a registry with the starter catalogue.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from cli.options import format_option, guarded, lang_option, traceback_option


@click.command(help="SQL の索引を git から作り直す / rebuild the SQL index from git alone")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="データフォルダー (既定 YOSHIKI_DATA_DIR, ~/.local/share/yoshiki) / data folder")
@click.option("--seed", "seed_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None,
              help="先にこのフォルダーの版を公開する (templates_repo など) / publish a catalogue first")
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def command(data_dir: Path | None, seed_dir: Path | None, fmt: str, lang: str,
            show_traceback: bool) -> int:
    """Rebuild the index (everything but tokens) from the bare repository."""
    import msgspec

    from registry.config import Settings
    from registry.wiring import open_service

    settings = Settings.from_env(data_dir=data_dir)
    started = time.perf_counter()
    service = open_service(settings)
    seeded = 0
    if seed_dir is not None:
        from registry.seeding import seed

        seeded = len(seed(service, seed_dir))
    count = service.reindex(actor="cli")
    seconds = time.perf_counter() - started
    for line in service.reindex_skipped:  # in git but not indexable: reported, never fatal
        click.echo(f"索引にできないため飛ばしました: {line}" if lang == "ja" else f"skipped (not indexable): {line}",
                   err=True)
    if fmt == "json":
        click.echo(msgspec.json.encode({"ok": True, "versions": count, "seeded": seeded,
                                        "skipped": service.reindex_skipped,
                                        "seconds": round(seconds, 3),
                                        "repository": str(settings.repo_path)}).decode())
    elif lang == "ja":
        if seed_dir is not None:
            click.echo(f"{seed_dir} から {seeded} 版を公開しました。")
        click.echo(f"索引を作り直しました: {count} 版（{seconds:.2f} 秒, {settings.repo_path}）")
    else:
        if seed_dir is not None:
            click.echo(f"published {seeded} versions from {seed_dir}.")
        click.echo(f"index rebuilt: {count} versions ({seconds:.2f} s, {settings.repo_path})")
    return 0
