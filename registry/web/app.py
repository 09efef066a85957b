"""``create_app(settings)``: the Litestar application — JSON API, OpenAPI, problem details.

Composable by design: the API controllers come from ``registry.web.api.ROUTE_HANDLERS``; the
HTML pages (``registry.web.pages.route_handlers``, when that module exists) and their Jinja
templates (``registry/web/templates/``, when that folder exists) are added here without any
other change. Settings are built here from ``YOSHIKI_*`` when not given — never at import time.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar import Litestar, Request, get
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.response import Response

from registry import __version__
from registry.config import Settings
from registry.web.problems import EXCEPTION_HANDLERS

if TYPE_CHECKING:
    from registry.service import RegistryService

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
OPENAPI_JSON = "/api/v1/openapi.json"


@get(OPENAPI_JSON, include_in_schema=False, sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The OpenAPI document (also served by Litestar at ``/schema/openapi.json``)."""
    import msgspec

    return Response(msgspec.json.encode(request.app.openapi_schema.to_schema()),
                    media_type="application/vnd.oai.openapi+json")


def page_handlers() -> list[Any]:
    """The HTML pages' route handlers, when ``registry.web.pages`` exists (issue 7)."""
    if importlib.util.find_spec("registry.web.pages") is None:
        return []
    pages = importlib.import_module("registry.web.pages")
    return list(getattr(pages, "route_handlers", []))


def page_exception_handlers() -> dict[Any, Any]:
    """The pages' app-wide handlers (a Japanese 404 page for browsers), when pages exist."""
    if importlib.util.find_spec("registry.web.pages") is None:
        return {}
    pages = importlib.import_module("registry.web.pages")
    return dict(getattr(pages, "exception_handlers", {}))


def template_config() -> Any:
    """Jinja templates from ``registry/web/templates/`` when the folder exists."""
    if not TEMPLATES_DIR.is_dir():
        return None
    from litestar.plugins.jinja import JinjaTemplateEngine
    from litestar.template.config import TemplateConfig

    return TemplateConfig(directory=TEMPLATES_DIR, engine=JinjaTemplateEngine)


def create_app(settings: Settings | None = None, *, service: RegistryService | None = None) -> Litestar:
    """The registry's web application over one service (built from ``settings``)."""
    from registry.service import RegistryService
    from registry.web.api import ROUTE_HANDLERS
    from registry.web.auth import account_guard, install_request_audit, provide_actor

    settings = settings or Settings.from_env()
    if service is None:
        from registry.wiring import open_service

        service = open_service(settings)
    service.recover()  # stale git locks, temporary files, the index caught up with git
    install_request_audit(service)

    def provide_service() -> RegistryService:
        return service

    def provide_settings() -> Settings:
        return settings

    from registry.web import apidocs, git_http, security
    from registry.web.bodies import json_checked_request

    handlers: list[Any] = [*ROUTE_HANDLERS, openapi_json, *page_handlers(), apidocs.vendor_router(),
                           git_http.handler(settings)]
    from registry.notices.webhooks import WebhookPolicy
    from registry.notices.worker import DeliveryWorker

    # Webhook deliveries from the outbox, in this process (registry/notices/worker.py).
    worker = DeliveryWorker(service.index, settings.base_url, WebhookPolicy.from_env())
    def start_worker() -> None:
        worker.start()

    def stop_worker() -> None:
        worker.stop()

    # A replica delivers no webhooks (the primary does: webhooks live in its index) and follows
    # its primary instead (registry/replica.py).
    lifespan_hooks: tuple[list[Any], list[Any]] = (
        ([start_worker], [stop_worker]) if DeliveryWorker.enabled() and not settings.is_replica
        else ([], []))
    follower = None
    if settings.is_replica:
        from registry.replica import Follower

        follower = Follower(service, settings)
        lifespan_hooks = ([follower.start], [follower.stop])
    app = Litestar(
        on_startup=lifespan_hooks[0], on_shutdown=lifespan_hooks[1],
        route_handlers=handlers,
        guards=[security.check_request, account_guard(service)],
        dependencies={"service": Provide(provide_service, sync_to_thread=False),
                      "actor": Provide(provide_actor, sync_to_thread=False),
                      "settings": Provide(provide_settings, sync_to_thread=False)},
        exception_handlers={**EXCEPTION_HANDLERS, **page_exception_handlers()},
        request_max_body_size=settings.max_body_bytes,
        request_class=json_checked_request(settings),
        before_send=[security.add_security_headers],
        openapi_config=OpenAPIConfig(
            title="Yoshiki (様式) registry API", version=__version__,
            description="自治体の申請フォームのテンプレートを共有するレジストリの API / "
                        "a registry of form templates shared by Japanese municipalities",
            path="/schema", render_plugins=apidocs.render_plugins()),
        template_config=template_config(),
        signature_namespace={"RegistryService": RegistryService, "Settings": Settings},
    )
    from registry.web.head import answer_head

    if follower is not None:  # a replica: writes and accounts to the primary, staff pages too
        from registry.web.replica_web import follow_primary

        app.state["replica"] = follower
        app.asgi_handler = follow_primary(app, app.asgi_handler, settings, follower)
    app.asgi_handler = answer_head(app.asgi_handler)   # HEAD wherever GET is served
    return app


__all__ = ["create_app", "page_exception_handlers", "page_handlers", "template_config"]
