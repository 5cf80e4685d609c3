"""The job API: a FastAPI app per stack that records jobs and enqueues them; it never runs them."""

from spotq.api.app import create_app
from spotq.api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
