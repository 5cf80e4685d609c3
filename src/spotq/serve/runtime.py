"""What one serving process holds while it runs: the model, its lane, the batcher, the open
streams, and whether it is draining. Built in the app's lifespan, read by the routes."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from spotq.app import App
from spotq.serve.batcher import MicroBatcher
from spotq.serve.lane import ModelLane, Priority
from spotq.serve.metrics import ServeMetrics
from spotq.serve.settings import ServeSettings

log = logging.getLogger("spotq.serve")


@dataclass
class ServeRuntime:
    app: App
    settings: ServeSettings
    metrics: ServeMetrics = field(default_factory=ServeMetrics)
    lane: ModelLane = field(default_factory=ModelLane)
    model: Any = None
    loaded: bool = False
    draining: asyncio.Event = field(default_factory=asyncio.Event)
    streams: set[asyncio.Task[Any]] = field(default_factory=set)
    in_flight: int = 0
    batcher: MicroBatcher | None = None
    load_error: BaseException | None = None
    _loading: asyncio.Task[None] | None = None

    def get_model(self) -> Any:
        return self.model

    @property
    def ready(self) -> bool:
        return self.loaded and not self.draining.is_set()

    @property
    def idle(self) -> bool:
        """No request waiting or running and no stream open: draining may finish."""
        return self.in_flight == 0 and not self.streams

    async def start(self) -> None:
        """Start loading the model on the lane's thread; /healthz answers meanwhile, /readyz
        once it is loaded. A failed load is kept in `load_error` (the server exits on it)."""
        self.lane.start()
        self.batcher = MicroBatcher(
            self.app, self.get_model, self.lane, self.settings, self.metrics
        )
        self.batcher.start()
        self._loading = asyncio.get_running_loop().create_task(self._load())
        if self.settings.load_before_listening:
            await asyncio.shield(self._loading)

    async def _load(self) -> None:
        try:
            self.model = await self.lane.call(Priority.FINAL, self.app.load_model)
        except Exception as exc:
            log.exception("the app's load() failed")
            self.load_error = exc
            return
        self.loaded = True
        log.info("model loaded; serving app %s", self.app.name)

    async def stop(self) -> None:
        if self._loading is not None:
            self._loading.cancel()
        if self.batcher is not None:
            await self.batcher.close()
        await self.lane.close()
