"""spotq: queue-fed ML inference workers that scale with their backlog."""

from spotq.app import App, AppOptions, Job, JobFailed

__version__ = "0.1.0"

__all__ = ["App", "AppOptions", "Job", "JobFailed", "__version__"]
