"""``GET /api/v1/municipalities[?prefecture=]``: codes, names, prefectures and kinds."""

from __future__ import annotations

from litestar import get
from litestar.params import FromQuery

from registry.municipalities import all_municipalities
from registry.web.dto import MunicipalityOut


@get("/api/v1/municipalities", sync_to_thread=False, tags=["municipalities"],
     cache_control=None)
def list_municipalities(prefecture: FromQuery[str | None] = None) -> list[MunicipalityOut]:
    """Every prefecture and municipality; ``prefecture`` filters by name (東京都) or 2-digit code (13)."""
    out = []
    for m in all_municipalities():
        if prefecture and prefecture not in (m.prefecture, m.code[:2]):
            continue
        out.append(MunicipalityOut(code=m.code, name=m.name, prefecture=m.prefecture, kind=m.kind))
    return out


HANDLERS = [list_municipalities]
