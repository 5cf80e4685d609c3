"""Arbitrary JSON, headers and bodies at every job-API route of a real stack (uvicorn + the SQS
server): never a 5xx, every error in the documented body, and every job the API accepted runs to
a final state on a real worker with its input intact."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spotq.api.client import encode_multipart
from spotq.fleet.embedded import EmbeddedStack

from .conftest import Raw, running_worker, wait_final

# About 10 s of requests on a busy 2-core machine; raise it to hunt (SPOTQ_FUZZ_EXAMPLES=2000).
EXAMPLES = int(os.environ.get("SPOTQ_FUZZ_EXAMPLES", "150"))

# Characters SQS, UTF-8 or JSON treat specially, mixed into ordinary text.
ODD = ["\ud800", "\udfff", "\uffff", "\ufffe", "\x00", "\x1f", "\x7f", "\x85", "\ufdd0"]
ODD += ["\U0001f600", "\U0010ffff", "\u2028", '"', "\\", "\r\n"]
texts = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=12),
    st.lists(st.sampled_from(ODD) | st.text(max_size=3), max_size=5).map("".join),
)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | texts
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
inputs = st.dictionaries(texts, json_values, max_size=5)
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=20).map(
    lambda s: s.replace("\x7f", "").strip()
)
priorities = st.sampled_from(["normal", "high"]) | json_values
submissions = st.fixed_dictionaries(
    {},
    optional={
        "input": inputs | json_values,
        "priority": priorities,
        "app": st.sampled_from(["echo"]) | texts,
        "idempotency_key": texts | json_values,
    },
)
jobs = st.fixed_dictionaries({"input": inputs}, optional={"priority": priorities})
job_bodies = (jobs | submissions).map(lambda d: json.dumps(d).encode())
batch_bodies = st.lists(jobs | submissions, max_size=4).map(
    lambda js: json.dumps({"jobs": js}).encode()
)
any_bodies = st.one_of(
    job_bodies,
    batch_bodies,
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=64),
    st.integers(0, 3000).map(lambda n: b'{"input": ' + b"[" * n + b"]" * n + b"}"),
)
content_types = (
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=latin-1",
            "text/plain",
            "",
            "multipart/form-data",
        ]
    )
    | header_text
)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]
    expected_input: Any = None  # for a submission that carries one


@st.composite
def calls(draw: st.DrawFn) -> Call:
    headers: dict[str, str] = {}
    if draw(st.integers(0, 3)) == 0:
        headers["Idempotency-Key"] = draw(header_text)
    if draw(st.integers(0, 3)) == 0:
        headers["Authorization"] = draw(header_text)
    kind = draw(st.sampled_from(["submit", "batch", "upload", "odd", "read", "list", "other"]))
    if kind == "submit":  # a job-shaped JSON body, its values anything at all
        headers["Content-Type"] = "application/json"
        path = draw(st.sampled_from(["/v1/jobs"] * 3 + ["/v1/apps/echo/jobs"]))
        return Call("POST", path, draw(job_bodies), headers)
    if kind == "batch":
        headers["Content-Type"] = "application/json"
        return Call("POST", "/v1/jobs:batch", draw(batch_bodies), headers)
    if kind == "upload":
        job_input = draw(inputs)
        fields = {
            "input": json.dumps(job_input),
            "priority": draw(st.sampled_from(["normal", "x"])),
        }
        name = draw(texts).encode("utf-8", "replace").decode("utf-8")
        form, content_type = encode_multipart(fields, name, draw(st.binary(max_size=32)))
        headers["Content-Type"] = content_type
        return Call("POST", "/v1/jobs", form, headers, job_input)
    if kind == "odd":  # anything at all, to any submit route, as any content type
        path = draw(st.sampled_from(["/v1/jobs", "/v1/jobs:batch", "app"]))
        if path == "app":
            path = f"/v1/apps/{quote(draw(texts), safe='', errors='replace')}/jobs"
        headers["Content-Type"] = draw(content_types)
        return Call("POST", path, draw(any_bodies), headers)
    if kind == "read":
        job_id = quote(draw(texts), safe="", errors="replace")
        suffix = draw(st.sampled_from(["", "/result"]))
        return Call("GET", f"/v1/jobs/{job_id}{suffix}", None, headers)
    if kind == "list":
        keys = st.sampled_from(["limit", "offset", "state"]) | texts
        values = st.integers().map(str) | st.sampled_from(["queued", "dead", "1" * 30]) | texts
        query = draw(st.dictionaries(keys, values, max_size=3))
        path = draw(st.sampled_from(["/v1/jobs", "/v1/dlq"]))
        return Call("GET", f"{path}?{urlencode(query, errors='replace')}", None, headers)
    method, path = draw(st.sampled_from([
        ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("POST", "/v1/dlq:redrive"),
        ("DELETE", "/v1/jobs"), ("PUT", "/v1/jobs/x"), ("GET", "/v1/nothing"),
    ]))  # fmt: skip
    return Call(method, path, draw(st.binary(max_size=16)) if method != "GET" else None, headers)


@dataclass
class Accepted:
    """Jobs the API created (201) and the input each was given, to check when they have run."""

    inputs: dict[str, Any] = field(default_factory=dict)

    def note(self, call: Call, status: int, reply: Any) -> None:
        if call.path.endswith(":batch") and status == 200:
            sent = json.loads(call.body or b"{}")["jobs"]
            for item, job in zip(reply["items"], sent, strict=True):
                if item["status"] == 201:
                    self.inputs[item["job"]["id"]] = job.get("input", {})
        elif call.method == "POST" and status == 201:
            if call.expected_input is not None:
                self.inputs[reply["id"]] = call.expected_input
            else:
                self.inputs[reply["id"]] = json.loads(call.body or b"{}").get("input", {})


def _check(call: Call, status: int, reply: Any) -> None:
    assert status < 500, (call, status, reply)
    if status >= 400:
        assert isinstance(reply, dict) and set(reply) == {"error", "detail"}, (call, reply)


def _same_json(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_no_request_gets_a_5xx_and_every_accepted_job_finishes(
    stack: EmbeddedStack, raw: Raw
) -> None:
    accepted = Accepted()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(call=calls())
    def one_call(call: Call) -> None:
        status, reply = raw.send(call.method, call.path, call.body, call.headers)
        _check(call, status, reply)
        accepted.note(call, status, reply)

    one_call()
    assert accepted.inputs, "no example created a job: the strategies are too narrow"
    with running_worker(stack):
        final = wait_final(raw, accepted.inputs, timeout_s=120)
    for job_id, job_input in accepted.inputs.items():
        job = final[job_id]
        assert job["state"] == "succeeded", (job["last_error"], job_input)
        status, result = raw.send("GET", f"/v1/jobs/{job_id}/result")
        assert status == 200 and _same_json(result, job_input), (job_input, result)
