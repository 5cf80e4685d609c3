"""The one error tree: every error spotq raises on purpose derives from SpotqError."""

from __future__ import annotations


class SpotqError(Exception):
    """Root of every error spotq raises deliberately."""


class ConfigError(SpotqError):
    """Configuration or input file is invalid; the message names the key and what was expected."""


class AppError(SpotqError):
    """A user app file could not be loaded or is malformed."""


class StorageError(SpotqError):
    """A blob store or job store operation failed."""


class ServiceError(SpotqError):
    """An embedded service (queue server, job API) could not start or stopped unexpectedly."""
