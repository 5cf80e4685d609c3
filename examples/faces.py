"""Face detection with OpenCV's bundled Haar cascade, offline (`pip install 'spotq[faces]'`).

A job is an uploaded image (PNG, JPEG, ...); its result lists the faces found:
{"faces": [{"x", "y", "w", "h"}], "count", "width", "height"}. Options follow the
face-recognition seed: small batches and a memory guard at 80 % of the task's memory.

    spotq run examples/faces.py samples/astronaut.jpg --out out/faces
"""

from __future__ import annotations

from typing import Any

import spotq

app = spotq.App(
    "faces",
    batch_size=3,
    visibility_timeout_s=120,
    job_timeout_s=60,
    memory_threshold=0.8,
    vcpu=1,
    memory_gib=1,
)

# Tuned on scikit-image's astronaut photo: one face, no false positives.
SCALE_FACTOR = 1.1
MIN_NEIGHBORS = 5
MIN_FACE_PX = 30


@app.loader
def load() -> Any:
    import cv2

    path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"cannot load the Haar cascade at {path}")
    return cascade


@app.handler
def handle(cascade: Any, jobs: list[spotq.Job]) -> list[Any]:
    return [detect(cascade, job.data) for job in jobs]


def detect(cascade: Any, data: bytes | None) -> Any:
    """Faces in one encoded image, or a JobFailed when it is not an image."""
    import cv2
    import numpy as np

    if not data:
        return spotq.JobFailed("faces: submit an image file", retry=False)
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        return spotq.JobFailed("faces: the file is not an image OpenCV can decode", retry=False)
    found = cascade.detectMultiScale(
        cv2.equalizeHist(image),
        scaleFactor=SCALE_FACTOR,
        minNeighbors=MIN_NEIGHBORS,
        minSize=(MIN_FACE_PX, MIN_FACE_PX),
    )
    faces = [{"x": int(x), "y": int(y), "w": int(w), "h": int(h)} for x, y, w, h in found]
    height, width = image.shape[:2]
    return {"faces": faces, "count": len(faces), "width": int(width), "height": int(height)}
