"""`spotq serve`: the app's handler behind HTTP (adaptive micro-batching) and its streaming handler
behind a WebSocket, with readiness, SIGTERM drain and Prometheus metrics.

- settings.py — ServeSettings, built once by the CLI or a test
- lane.py — the one thread that runs the model, with priorities (finals, batches, partials)
- batcher.py — gathers concurrent requests into handler batches; sheds what would be late
- endpointing.py — energy-based utterance detection over 16 kHz PCM16
- stream.py — one WebSocket stream: frames in, partial and final transcripts out
- app.py, routes.py, guard.py, metrics.py — the ASGI app
- server.py — uvicorn with drain on SIGTERM; cli.py — `spotq serve` and `spotq stream`
"""
