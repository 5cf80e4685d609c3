"""API keys: with one configured, every route but /healthz and the dashboard page (/ui, whose
data calls need the key) needs `Authorization: Bearer KEY`."""

from __future__ import annotations

import hmac

from spotq.api.errors import Unauthorized

OPEN_PATHS = frozenset({"/healthz", "/ui"})
OPEN_PREFIXES = ("/ui/assets/",)  # the dashboard's page and assets hold no data; its calls do


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def check_bearer(path: str, header: str | None, api_key: str | None) -> None:
    """Raise Unauthorized unless the route is open, no key is configured, or the header matches."""
    if api_key is None or is_open(path):
        return
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), api_key):
        raise Unauthorized("missing or wrong API key: send 'Authorization: Bearer KEY'")
