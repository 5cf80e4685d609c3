"""Short speech clips with known text, made offline with espeak-ng and sox (1-5 s each).

Needs Debian's espeak-ng and sox (`apt-get install espeak-ng sox`); nothing is downloaded. The
clips go to a directory of the caller's choosing (the benches use bench/.shortclips, gitignored)
with texts.json beside them ({file name: text}), and are reused when already there.

    .venv/bin/python bench/shortclips.py bench/.shortclips [--count 120]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Commands, voicemail and meeting snippets: the short speech issue 15 is about.
SENTENCES = (
    "Turn off the lights in the kitchen.",
    "Call me back when you get this message.",
    "Set a timer for ten minutes.",
    "The meeting moved to three o'clock.",
    "Please close the window.",
    "I will be late for dinner tonight.",
    "What is the weather like tomorrow?",
    "Add milk to the shopping list.",
    "Play some quiet music.",
    "The package arrived this morning.",
    "Can you send me the slides?",
    "We should start the review now.",
    "Remind me to water the plants.",
    "The printer on the second floor is broken.",
    "Open the front door.",
    "Let us meet at the coffee shop at noon.",
    "The doctor called about your results.",
    "Book a table for four people.",
    "Lower the volume a little.",
    "The budget is due next Monday.",
    "Thanks for your help with the project.",
    "Where did you park the car?",
    "Switch the heating on at six.",
    "The train was twenty minutes late.",
    "I left my keys on the desk.",
    "Send the invoice to the finance team.",
    "Good morning, this is a test call.",
    "Please confirm the delivery address.",
    "Our flight leaves at seven in the evening.",
    "The server needs a restart.",
    "Pick up the children from school.",
    "I agree with the new plan.",
    "Check the oil before the long drive.",
    "The report is on the shared drive.",
    "Tell her the answer is yes.",
    "Bring an umbrella, it will rain.",
    "The garden needs more water.",
    "Move the call to Thursday afternoon.",
    "Lock the back door tonight.",
    "The new chairs will arrive next week.",
)
VOICES = (("en-us", 120), ("en-us", 175), ("en", 145))  # (espeak-ng voice, words per minute)


def make_clips(into: Path, count: int) -> dict[str, str]:
    """`count` clips in `into` (made once), returning {file name: text}."""
    texts_path = into / "texts.json"
    if texts_path.exists():
        texts: dict[str, str] = json.loads(texts_path.read_text())
        if len(texts) >= count:
            return dict(sorted(texts.items())[:count])
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install espeak-ng sox")
    into.mkdir(parents=True, exist_ok=True)
    texts = {}
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        for n in range(count):
            text = SENTENCES[n % len(SENTENCES)]
            voice, wpm = VOICES[(n // len(SENTENCES)) % len(VOICES)]
            name = f"clip{n:03d}.wav"
            subprocess.run(
                ["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(raw), text], check=True
            )
            subprocess.run(
                ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(into / name)],
                check=True,
            )
            texts[name] = text
    texts_path.write_text(json.dumps(texts, indent=1))
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("into", type=Path)
    parser.add_argument("--count", type=int, default=120)
    args = parser.parse_args()
    texts = make_clips(args.into, args.count)
    print(f"{len(texts)} clips in {args.into}")


if __name__ == "__main__":
    main()
