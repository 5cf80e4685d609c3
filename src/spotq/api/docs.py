"""Interactive API docs that work offline: Swagger UI and ReDoc served from the assets that the
`fastapi-offline` package ships, instead of FastAPI's default CDN links."""

from __future__ import annotations

import functools
from importlib import resources

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

# The only files served under /docs/assets: a request names one of these keys, never a path.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
_PREFIX = "/docs/assets/"

router = APIRouter()


@functools.cache
def _asset(name: str) -> bytes:
    return resources.files("fastapi_offline").joinpath("static", name).read_bytes()


@router.get("/docs", include_in_schema=False)
def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} — docs",
        swagger_js_url=_PREFIX + "swagger-ui-bundle.js",
        swagger_css_url=_PREFIX + "swagger-ui.css",
        swagger_favicon_url=_PREFIX + "favicon.png",
        # no "valid" badge: it would fetch from validator.swagger.io
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc", include_in_schema=False)
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} — ReDoc",
        redoc_js_url=_PREFIX + "redoc.standalone.js",
        redoc_favicon_url=_PREFIX + "favicon.png",
        with_google_fonts=False,
    )


@router.get(_PREFIX + "{name}", include_in_schema=False)
def asset(name: str) -> Response:
    if name not in ASSETS:
        raise HTTPException(404, f"no docs asset {name!r}")
    body = _asset(name)
    return Response(body, media_type=ASSETS[name], headers={"Cache-Control": "max-age=86400"})
