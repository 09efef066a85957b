"""The API documentation (``/schema``, ``/schema/swagger``) served entirely by the registry.

Litestar's own UI plugins load their scripts, styles and favicon from public CDNs; municipal
networks on LGWAN are cut off from the internet, so the page would stay blank there. Swagger UI
here comes from the ``swagger-ui-bundle-v2`` wheel (Apache-2.0; the files of swagger-ui-dist 5,
which reads the OpenAPI 3.1 document Litestar writes — Swagger UI 4 cannot) and
is served under ``/static/vendor/swagger-ui/``; the page's start-up code is a static file too,
so the page needs no inline script under the Content-Security-Policy.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin, YamlRenderPlugin
from litestar.static_files import create_static_files_router

if TYPE_CHECKING:
    from litestar import Request

VENDOR_URL = "/static/vendor/swagger-ui"
INIT_URL = "/static/swagger-init.js"


def swagger_ui_dir() -> Path:
    """The folder of the Swagger UI files shipped by the ``swagger-ui-bundle-v2`` wheel."""
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


class LocalSwaggerRenderPlugin(OpenAPIRenderPlugin):
    """Swagger UI with every asset served by the registry (no CDN, no inline script)."""

    def __init__(self, path: str | list[str] = ("/", "/swagger"), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(path=list(path), favicon=f'<link rel="icon" href="{VENDOR_URL}/favicon-32x32.png">',
                         style="", **kwargs)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The HTML page: Swagger UI's files and the start-up script, all from this server."""
        title = html.escape(str(openapi_schema.get("info", {}).get("title", "API")))
        spec = html.escape(self.get_openapi_json_route(request))
        return f"""<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{self.favicon}
<link rel="stylesheet" href="{VENDOR_URL}/swagger-ui.css">
</head>
<body>
<div id="swagger-container" data-spec-url="{spec}"></div>
<script src="{VENDOR_URL}/swagger-ui-bundle.js"></script>
<script src="{VENDOR_URL}/swagger-ui-standalone-preset.js"></script>
<script src="{INIT_URL}"></script>
</body>
</html>
""".encode()


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """Swagger UI at ``/schema`` and ``/schema/swagger``; the document as JSON and YAML."""
    return [LocalSwaggerRenderPlugin(), JsonRenderPlugin(), YamlRenderPlugin()]


def vendor_router() -> Any:
    """``/static/vendor/swagger-ui/`` from the wheel's files."""
    return create_static_files_router(path=VENDOR_URL, directories=[swagger_ui_dir()],
                                      include_in_schema=False, name="swagger-ui")


__all__ = ["INIT_URL", "VENDOR_URL", "LocalSwaggerRenderPlugin", "render_plugins", "swagger_ui_dir",
           "vendor_router"]
