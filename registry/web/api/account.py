"""``GET /api/v1/whoami``: what the request's token stands for (``yoshiki login`` checks it)."""

from __future__ import annotations

import msgspec
from litestar import get

from registry.municipalities import name_of
from registry.web.auth import ANY_MUNICIPALITY
from registry.web.deps import Actor
from registry.web.dto import problem_responses


class Account(msgspec.Struct, kw_only=True):
    """The account behind a token (never the token)."""

    name: str
    municipality: str
    municipality_name: str
    admin: bool


@get("/api/v1/whoami", sync_to_thread=True, tags=["account"], opt=ANY_MUNICIPALITY,
     responses=problem_responses(401))
def whoami(actor: Actor) -> Account:
    """The token's account and municipality; 401 without a live token."""
    return Account(name=actor.name, municipality=actor.municipality,
                   municipality_name=name_of(actor.municipality) if actor.municipality else "",
                   admin=actor.admin)


HANDLERS = [whoami]
