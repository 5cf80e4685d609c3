"""API keys: with one configured, every route but /healthz and the dashboard page (/ui, whose
data calls need the key) needs `Authorization: Bearer KEY`."""

from __future__ import annotations

import hmac

from spotq.api.errors import Unauthorized
from spotq.errors import ConfigError

OPEN_PATHS = frozenset({"/healthz", "/ui"})
OPEN_PREFIXES = ("/ui/assets/",)  # the dashboard's page and assets hold no data; its calls do


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def check_api_key(api_key: str) -> None:
    """A key must be printable ASCII (an RFC 6750 bearer token is): clients send header bytes in
    different encodings, so any other key would match for some of them and not others."""
    if not all("!" <= c <= "~" for c in api_key):
        raise ConfigError("API key: expected printable ASCII characters (no spaces), e.g. hex")


def check_bearer(path: str, header: bytes | None, api_key: str | None) -> None:
    """Raise Unauthorized unless the route is open, no key is configured, or the header matches.

    The header is compared as bytes: a token in any encoding is just a wrong token."""
    if api_key is None or is_open(path):
        return
    scheme, _, token = (header or b"").partition(b" ")
    if scheme.lower() != b"bearer" or not hmac.compare_digest(token.strip(), api_key.encode()):
        raise Unauthorized("missing or wrong API key: send 'Authorization: Bearer KEY'")
