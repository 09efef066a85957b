"""Contexts of the lineage pages: ``/p/{prefecture}``, the template page's users section and the
municipality page's "used by other cities" (forks of forks included).

The handlers stay in ``pages.py`` (one Router, one viewer dependency); what they show is
computed here from the service's read-models.
"""

from __future__ import annotations

from typing import Any

from registry.forktree import LineageNode, iter_nodes
from registry.layout import TemplateKey
from registry.readmodels import TemplateSummary
from registry.service import RegistryService


def used_by_others(svc: RegistryService, lg: str,
                   own: list[TemplateSummary]) -> list[tuple[TemplateSummary, LineageNode]]:
    """Every other city's fork under each of ``lg``'s templates, transitively."""
    out: list[tuple[TemplateSummary, LineageNode]] = []
    for s in own:
        tree = svc.lineage_tree(TemplateKey(s.lg, s.slug))
        under = next((n for n in iter_nodes(tree.root) if n.template == f"{s.lg}/{s.slug}"), None)
        if under is None:
            continue
        out.extend((s, n) for n in iter_nodes(under) if n is not under and n.lg != lg)
    return out


def template_users_context(svc: RegistryService, key: TemplateKey) -> dict[str, Any]:
    """「このテンプレートを使っている自治体」: the whole tree and the counted differences.

    Empty when the lineage tables do not hold the template yet (an index write interrupted
    after git's; ``yoshiki reindex`` restores it): the rest of the page still shows.
    """
    from registry.errors import NotFound

    try:
        users = svc.template_users(key)
    except NotFound:
        return {"users_tree": None, "users_divergence": [], "users_nodes": []}
    return {"users_tree": users.lineage, "users_divergence": users.divergence,
            "users_nodes": list(iter_nodes(users.lineage.root))}


def prefecture_context(svc: RegistryService, code: str, template: str | None,
                       page: int) -> dict[str, Any]:
    """The prefecture page: headline figures, adoption (50 a page), divergence (top 50)."""
    limit = 50
    page = max(1, min(page, 100_000))
    adoption = svc.adoption(code, template=template, limit=limit, offset=(page - 1) * limit)
    divergence = svc.divergence(adoption.prefecture_code, template=template, limit=limit)
    return {"adoption": adoption, "divergence": divergence, "page": page,
            "pages": max(1, -(-adoption.total // limit)), "template_filter": template}
