"""parse_form is parse_qs(keep_blank_values=True, errors="strict"), result for result."""

from __future__ import annotations

import random
from urllib.parse import parse_qs, urlencode

import pytest

from spotq.sqs.forms import parse_form

CASES = [
    "",
    "&",
    "a",
    "a=",
    "=b",
    "a=1&a=2&b=3",
    "a=1&&b=2&",
    "a=b=c",
    "a+b=c+d",
    "a%20b=c%2Bd",
    "x=%E2%82%AC&y=%e2%82%ac",
    "k=%zz&l=%4",
    "sp ace=tab\tnew\nline",
    "Action=SendMessageBatch&QueueUrl=http%3A%2F%2F127.0.0.1%3A9324%2F000000000000%2Fq"
    "&SendMessageBatchRequestEntry.1.Id=0&SendMessageBatchRequestEntry.1.MessageBody=x+y",
    urlencode({"Body": "é ß 漢 😀 & = + % ?", "Plain": "x" * 50}),
]


@pytest.mark.parametrize("text", CASES)
def test_the_same_as_parse_qs(text: str) -> None:
    assert parse_form(text) == parse_qs(text, keep_blank_values=True, errors="strict")


def test_random_forms_parse_as_parse_qs_does() -> None:
    rng = random.Random(12)
    alphabet = "ab=&+%2E3x é\u00ff"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        try:
            expected: object = parse_qs(text, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            expected = UnicodeDecodeError
        try:
            got: object = parse_form(text)
        except UnicodeDecodeError:
            got = UnicodeDecodeError
        assert got == expected, text


@pytest.mark.parametrize("text", ["a=%FF", "%C3=1", "a=%C3%28"])
def test_percent_encoded_bytes_that_are_not_utf8_are_refused(text: str) -> None:
    with pytest.raises(UnicodeDecodeError):
        parse_form(text)
