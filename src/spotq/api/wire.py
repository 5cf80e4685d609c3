"""Job message bodies the queue can carry. SQS accepts only the characters #x9 | #xA | #xD |
#x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF and refuses a whole message holding any other
(InvalidMessageContents). A body is JSON, whose encoder already escapes everything below #x20, so
what remains is U+FFFE and U+FFFF, written here as JSON escapes (the same value to any JSON
decoder), and lone surrogates, which are not Unicode text at all and are refused at submit."""

from __future__ import annotations

import re
from typing import Any

from spotq.api.errors import InvalidInput

_NOT_CARRIABLE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def carriable_body(body: str) -> str:
    """`body` (a JSON text) with every character SQS refuses escaped; InvalidInput for a lone
    surrogate, which UTF-8, SQLite and SQS all reject."""
    # JSON escapes every ASCII character SQS refuses: an ASCII body (O(1) to know) is fine as it is.
    if body.isascii() or _NOT_CARRIABLE.search(body) is None:
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


def check_depth(value: Any, encoded: str, max_depth: int, what: str) -> None:
    """InvalidInput if `value` nests objects/arrays deeper than `max_depth` ({} is 1 deep): every
    process that handles the job parses it again, and deep enough nesting fails there.

    `encoded` is any JSON text holding `value`: its count of '{' and '[' bounds the depth, so
    the walk is only needed for values with many containers."""
    if encoded.count("{") + encoded.count("[") <= max_depth:
        return
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise InvalidInput(f"{what}: nested deeper than the limit of {max_depth} levels")
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
