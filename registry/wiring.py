"""Where the adapters are built: the git store and the SQL index for one ``Settings``.

Called at the edges only — ``create_app`` (when no service is given), the CLI's registry
commands (``serve``, ``reindex``) and the tests — and handed to ``RegistryService``, which knows
the ports (``registry/storage/ports.py``) and nothing of git or SQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from registry.config import Settings
    from registry.service import RegistryService
    from registry.storage.git_store import FaultHook, GitTemplateStore
    from registry.storage.ports import TemplateStore


def git_store(settings: Settings, *, fault: FaultHook | None = None) -> GitTemplateStore:
    """The bare repository of ``settings`` (created when missing); ``fault`` for crash tests only."""
    from registry.storage.git_store import GitTemplateStore

    return GitTemplateStore(settings.repo_path, committer_name=settings.registry_name,
                            committer_email=settings.registry_email, fault=fault,
                            repack_every=settings.repack_every)


def open_service(settings: Settings, *, migrate: bool = True,
                 store: TemplateStore | None = None) -> RegistryService:
    """A service over the git store and the SQL index of ``settings`` (index migrated first)."""
    from registry.service import RegistryService
    from registry.storage.sql_index import SqlIndex

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    index = SqlIndex(settings.database_url)
    if migrate:
        index.migrate()
    service = RegistryService(settings, store=store or git_store(settings), index=index)
    if migrate:
        from registry.lineage_upkeep import ensure_built

        ensure_built(service)
    return service
