"""spotq: queue-fed ML inference workers that scale with their backlog."""

__version__ = "0.1.0"
