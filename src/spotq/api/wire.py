"""Job message bodies the queue can carry. SQS accepts only the characters #x9 | #xA | #xD |
#x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF and refuses a whole message holding any other
(InvalidMessageContents). A body is JSON, whose encoder already escapes everything below #x20, so
what remains is U+FFFE and U+FFFF, written here as JSON escapes (the same value to any JSON
decoder), and lone surrogates, which are not Unicode text at all and are refused at submit."""

from __future__ import annotations

import re

from spotq.api.errors import InvalidInput

_NOT_CARRIABLE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def carriable_body(body: str) -> str:
    """`body` (a JSON text) with every character SQS refuses escaped; InvalidInput for a lone
    surrogate, which UTF-8, SQLite and SQS all reject."""
    if _NOT_CARRIABLE.search(body) is None:  # the usual case, at the speed of one regex scan
        return body
    check_text(body, "input")
    return _NOT_CARRIABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", body)


def check_text(text: str, what: str) -> None:
    """InvalidInput if `text` holds a lone surrogate: not Unicode text, so no store can keep it."""
    surrogate = _SURROGATE.search(text)
    if surrogate is not None:
        raise InvalidInput(
            f"{what}: a string holds a lone surrogate (\\u{ord(surrogate.group()):04x}), which "
            "is not Unicode text; encode the character it stands for as a pair or in UTF-8"
        )
