"""The hand-written baseline for bench/serve_batching.py: the same app's model behind a plain
FastAPI endpoint that calls the handler once per request (no batching), on uvicorn.

    .venv/bin/python bench/serve_plain.py APP PORT

A `def` endpoint, as most hand-written services are: FastAPI runs it on its thread pool, so
concurrent requests run concurrent handler calls. Same body and reply shape as /v1/predict.
"""

from __future__ import annotations

import sys
import uuid
from typing import Any

import uvicorn
from fastapi import FastAPI, File, UploadFile

from spotq.app import Job, load_app

_FILE = File(...)


def build(app_ref: str) -> FastAPI:
    app = load_app(app_ref)
    model = app.load_model()
    api = FastAPI()

    @api.post("/v1/predict")
    def predict(body: dict[str, Any]) -> dict[str, Any]:
        job = Job(id=uuid.uuid4().hex, input=body.get("input", {}))
        return {"id": job.id, "result": app.handle(model, [job])[0]}

    @api.post("/v1/predict_file")
    def predict_file(file: UploadFile = _FILE) -> dict[str, Any]:
        data = file.file.read()
        job = Job(id=uuid.uuid4().hex, input={}, filename=file.filename, data=data)
        return {"id": job.id, "result": app.handle(model, [job])[0]}

    @api.get("/readyz")
    def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return api


if __name__ == "__main__":
    uvicorn.run(build(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
