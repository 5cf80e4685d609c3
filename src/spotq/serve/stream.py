"""One WebSocket stream: 16 kHz PCM16 frames in, partial and final transcripts out.

Client → server: binary messages of PCM16 little-endian mono samples; text messages
`{"type": "start", "sample_rate": 16000}` (optional) and `{"type": "end"}` (flush and close).
Server → client: `{"type": "partial" | "final", "utterance": n, "text": ...}` (finals also carry
`start_s`, `end_s` in stream time) and `{"type": "error", "error": ..., "detail": ...}` before a
close for a bad message. Close codes: see CLOSE_* below and docs/serve.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from starlette.websockets import WebSocket, WebSocketDisconnect

from spotq.serve.endpointing import Endpointer, Utterance
from spotq.serve.lane import Priority
from spotq.serve.runtime import ServeRuntime
from spotq.serve.settings import SAMPLE_RATE_HZ

CLOSE_NORMAL = 1000  # the client sent "end"; every final was sent first
CLOSE_GOING_AWAY = 1001  # the server is draining; every final was sent first
CLOSE_UNSUPPORTED = 1003  # a malformed frame, bad JSON, an unknown message, a wrong sample rate
CLOSE_POLICY = 1008  # no message within idle_timeout_s
CLOSE_TOO_BIG = 1009  # a message over max_message_bytes (sent by the protocol layer)
CLOSE_INTERNAL = 1011  # the stream handler failed
CLOSE_TRY_LATER = 1013  # max_streams are open, or the model is not loaded yet


class StreamClosed(Exception):
    """Ends a stream with a close code and a reason the client sees."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class StreamSession:
    def __init__(self, ws: WebSocket, rt: ServeRuntime) -> None:
        self.ws, self.rt = ws, rt
        self.settings = rt.settings.streams
        self.endpointer = Endpointer(self.settings)
        self._send_lock = asyncio.Lock()
        self._last_final: asyncio.Task[None] | None = None
        self._partial: asyncio.Task[None] | None = None
        self._partial_at_samples = 0
        self._finalised = -1  # index of the last utterance whose final was queued
        self._early: _EarlyDecode | None = None  # a final decoded before its endpoint
        self._received: list[tuple[int, float]] = []  # (samples so far, when received)
        self._samples = 0

    async def run(self) -> None:
        """Serve the stream until the client ends it, leaves, errs, or the server drains."""
        code, reason = CLOSE_NORMAL, "end of stream"
        try:
            self._check_query()
            await self._receive_loop()
        except StreamClosed as closed:
            code, reason = closed.code, closed.reason
        except WebSocketDisconnect:
            await self._cancel_pending()
            return
        if code in (CLOSE_NORMAL, CLOSE_GOING_AWAY):
            await self._finish()
        else:
            await self._cancel_pending()
            await self._send({"type": "error", "error": _name(code), "detail": reason})
        self.rt.metrics.stream_closes.labels(str(code)).inc()
        with contextlib.suppress(Exception):
            await self.ws.close(code, reason[:120])

    def _check_query(self) -> None:
        rate = self.ws.query_params.get("sample_rate", str(SAMPLE_RATE_HZ))
        self._check_rate(rate)

    def _check_rate(self, rate: Any) -> None:
        if str(rate) != str(SAMPLE_RATE_HZ):
            raise StreamClosed(
                CLOSE_UNSUPPORTED, f"sample_rate {rate} is not supported: send 16000 Hz PCM16 mono"
            )

    async def _receive_loop(self) -> None:
        drain = asyncio.ensure_future(self.rt.draining.wait())
        try:
            while True:
                receive = asyncio.ensure_future(self.ws.receive())
                done, _ = await asyncio.wait(
                    {receive, drain},
                    timeout=self.settings.idle_timeout_s,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if receive not in done:
                    receive.cancel()
                    if drain in done:
                        raise StreamClosed(CLOSE_GOING_AWAY, "server draining")
                    raise StreamClosed(
                        CLOSE_POLICY, f"idle: no message for {self.settings.idle_timeout_s:g} s"
                    )
                if await self._on_message(receive.result()):
                    return
        finally:
            drain.cancel()

    async def _on_message(self, message: MutableMapping[str, Any]) -> bool:
        """Handle one ASGI message; True when the client asked to end the stream."""
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        if message.get("bytes") is not None:
            self._on_audio(message["bytes"])
            return False
        return self._on_text(message.get("text") or "")

    def _on_text(self, text: str) -> bool:
        try:
            body = json.loads(text)
        except ValueError:
            raise StreamClosed(CLOSE_UNSUPPORTED, "a text message must be JSON") from None
        kind = body.get("type") if isinstance(body, dict) else None
        if kind == "end":
            return True
        if kind == "start":
            self._check_rate(body.get("sample_rate", SAMPLE_RATE_HZ))
            return False
        raise StreamClosed(CLOSE_UNSUPPORTED, f"unknown message type {kind!r}: use start or end")

    def _on_audio(self, data: bytes) -> None:
        if len(data) % 2:
            raise StreamClosed(CLOSE_UNSUPPORTED, "a PCM16 frame needs an even number of bytes")
        samples = np.frombuffer(data, dtype="<i2")
        self._samples += len(samples)
        self._received.append((self._samples, time.monotonic()))
        for utterance in self.endpointer.feed(samples):
            self._queue_final(utterance)
        # Only messages that may hold the end of the open utterance are needed from here on.
        keep_from = self._samples - self.endpointer.open_samples - SAMPLE_RATE_HZ
        self._received = [(t, a) for t, a in self._received if t >= keep_from]
        self._maybe_decode_early()
        self._maybe_partial()

    def _maybe_decode_early(self) -> None:
        """A pause after speech may be the end: start the final's decode now rather than after
        the whole endpoint silence. Speech resuming makes it stale (dropped, and cancelled if it
        has not started); the utterance ending with no more speech makes it the final."""
        ep, after_ms = self.endpointer, self.settings.speculate_after_ms
        early = self._early
        if early is not None and not early.matches(ep.next_index, ep.speech_end_sample):
            self._drop_early()
        if after_ms <= 0 or not ep.in_utterance or ep.quiet_ms < after_ms or self._early:
            return
        audio = ep.open_audio()
        task = asyncio.ensure_future(self._decode_quietly(audio))
        self._early = _EarlyDecode(ep.next_index, ep.speech_end_sample, task)

    async def _decode_quietly(self, audio: np.ndarray) -> str | StreamClosed:
        try:
            return await self._transcribe(Priority.FINAL, audio, final=True)
        except StreamClosed as failed:
            return failed

    def _drop_early(self) -> None:
        if self._early is not None:
            self._early.task.cancel()  # gives up its turn in the lane if it is still waiting
            self._early = None

    def _maybe_partial(self) -> None:
        ep = self.endpointer
        every = self.settings.partial_every_ms * SAMPLE_RATE_HZ / 1000
        if every <= 0 or not ep.in_utterance:
            self._partial_at_samples = 0
            return
        if self._partial is not None and not self._partial.done():
            return  # one at a time: a busy model skips partials rather than queueing them
        if self._early is not None:
            return  # the final is on its way already
        if ep.open_samples - self._partial_at_samples < every:
            return
        self._partial_at_samples = ep.open_samples
        index, audio = ep.next_index, ep.open_audio()
        self._partial = asyncio.ensure_future(self._run_partial(index, audio))

    async def _run_partial(self, index: int, audio: np.ndarray) -> None:
        try:
            text = await self._transcribe(Priority.PARTIAL, audio, final=False)
        except StreamClosed:
            return  # a failing handler is reported by the final
        if index > self._finalised:  # never a partial after its final
            await self._send({"type": "partial", "utterance": index, "text": text})

    def _queue_final(self, utterance: Utterance) -> None:
        self._finalised = utterance.index
        previous = self._last_final
        ended_at = self._received_at(utterance)
        early = self._early
        decoded = None
        if early is not None and early.matches(utterance.index, utterance.end_sample):
            decoded, self._early = early.task, None
        else:
            self._drop_early()
        self._last_final = asyncio.ensure_future(
            self._run_final(utterance, previous, ended_at, decoded)
        )

    async def _run_final(
        self,
        utterance: Utterance,
        previous: asyncio.Task[None] | None,
        ended_at: float,
        decoded: asyncio.Task[str | StreamClosed] | None = None,
    ) -> None:
        if previous is not None:
            await previous  # finals go out in order
        if decoded is None:
            text = await self._transcribe(Priority.FINAL, utterance.audio, final=True)
        else:
            outcome = await decoded
            if isinstance(outcome, StreamClosed):
                raise outcome
            text = outcome
        await self._send(
            {
                "type": "final",
                "utterance": utterance.index,
                "text": text,
                "start_s": round(utterance.start_s, 3),
                "end_s": round(utterance.end_s, 3),
            }
        )
        self.rt.metrics.final_latency.observe(time.monotonic() - ended_at)

    def _received_at(self, utterance: Utterance) -> float:
        """When the message holding the utterance's last speech sample arrived."""
        return next((a for t, a in self._received if t >= utterance.end_sample), time.monotonic())

    async def _transcribe(self, priority: Priority, audio: np.ndarray, final: bool) -> str:
        fn = self.rt.app.stream_fn
        assert fn is not None
        model = self.rt.model
        try:
            result = await self.rt.lane.call(priority, lambda: fn(model, audio, final))
        except Exception as exc:
            raise StreamClosed(CLOSE_INTERNAL, f"the stream handler failed: {exc!r}") from exc
        if isinstance(result, dict):
            return str(result.get("text", ""))
        return str(result)

    async def _finish(self) -> None:
        """Flush the open utterance and wait for every final before closing."""
        utterance = self.endpointer.flush()
        if utterance is not None:
            self._queue_final(utterance)
        await self._cancel_pending()
        if self._last_final is not None:
            try:
                await self._last_final
            except StreamClosed as failed:
                await self._send(
                    {"type": "error", "error": "HandlerError", "detail": failed.reason}
                )

    async def _cancel_pending(self) -> None:
        """Cancel the pending partial, and an early final decode no final has claimed."""
        pending: list[asyncio.Task[Any]] = [self._partial] if self._partial is not None else []
        if self._early is not None:
            pending.append(self._early.task)
            self._early = None
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _send(self, body: dict[str, Any]) -> None:
        async with self._send_lock:
            with contextlib.suppress(Exception):  # the client may already be gone
                await self.ws.send_text(json.dumps(body))


@dataclass(frozen=True)
class _EarlyDecode:
    """A final's decode started at a pause: the utterance it is for and where its speech ended."""

    index: int
    end_sample: int
    task: asyncio.Task[str | StreamClosed]

    def matches(self, index: int, end_sample: int) -> bool:
        return (self.index, self.end_sample) == (index, end_sample)


def _name(code: int) -> str:
    return {
        CLOSE_UNSUPPORTED: "UnsupportedData",
        CLOSE_POLICY: "IdleTimeout",
        CLOSE_INTERNAL: "HandlerError",
        CLOSE_TRY_LATER: "Overloaded",
    }.get(code, "StreamError")
