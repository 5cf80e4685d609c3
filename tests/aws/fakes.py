"""Tiny stand-ins for the parts of the outside world a worker on ECS talks to: EC2's instance
metadata service (IMDSv2 only) and the ECS agent (task protection and task metadata v4). Each is a
real HTTP server on 127.0.0.1, port 0, in a thread."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler], state: Any) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    @property
    def state(self) -> Any:
        return self.server.state  # type: ignore[attr-defined]

    def reply(self, status: int, body: bytes | str | dict[str, Any] = b"") -> None:
        if isinstance(body, dict):
            body = json.dumps(body)
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")


# -- IMDS -----------------------------------------------------------------------------------


@dataclass
class ImdsState:
    tokens: set[str] = field(default_factory=set)
    instance_action: dict[str, Any] | None = None
    rebalance: dict[str, Any] | None = None
    token_puts: int = 0
    rejected: int = 0  # GETs without a valid token
    gets: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()


class _ImdsHandler(_Handler):
    def do_PUT(self) -> None:
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if self.path != "/latest/api/token" or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            self.reply(400, "missing or invalid X-aws-ec2-metadata-token-ttl-seconds")
            return
        token = secrets.token_urlsafe(16)
        with self.state.lock:
            self.state.tokens.add(token)
            self.state.token_puts += 1
        self.reply(200, token)

    def do_GET(self) -> None:
        state: ImdsState = self.state
        with state.lock:
            state.gets += 1
            if self.headers.get("X-aws-ec2-metadata-token") not in state.tokens:
                state.rejected += 1
                self.reply(401)
                return
            docs = {
                "/latest/meta-data/spot/instance-action": state.instance_action,
                "/latest/meta-data/events/recommendations/rebalance": state.rebalance,
            }
        if self.path not in docs or docs[self.path] is None:
            self.reply(404, "not found")
        else:
            self.reply(200, docs[self.path])


@contextmanager
def fake_imds() -> Iterator[tuple[str, ImdsState]]:
    state = ImdsState()
    with serve(_ImdsHandler, state) as url:
        yield url, state


# -- ECS agent ------------------------------------------------------------------------------


@dataclass
class AgentState:
    launch_type: str = "EC2"
    puts: list[dict[str, Any]] = field(default_factory=list)
    protected: bool = False
    fail_with: str | None = None  # answer PUTs with {"failure": ...} when set
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enabled_history(self) -> list[bool]:
        with self.lock:
            return [bool(put["ProtectionEnabled"]) for put in self.puts]


TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/spotq/0123456789abcdef"


class _AgentHandler(_Handler):
    def do_PUT(self) -> None:
        state: AgentState = self.state
        if self.path != "/api/task-1/task-protection/v1/state":
            self.reply(404, {"error": {"Code": "NotFound", "Message": self.path}})
            return
        doc = self.body_json()
        with state.lock:
            state.puts.append(doc)
            if state.fail_with is not None:
                self.reply(200, {"failure": {"Arn": TASK_ARN, "Reason": state.fail_with}})
                return
            state.protected = bool(doc["ProtectionEnabled"])
        self.reply(200, {"protection": {"ProtectionEnabled": state.protected, "TaskArn": TASK_ARN}})

    def do_GET(self) -> None:
        if self.path == "/v4/task-1/task":
            self.reply(200, {"TaskARN": TASK_ARN, "LaunchType": self.state.launch_type})
        else:
            self.reply(404, "not found")


@contextmanager
def fake_ecs_agent(launch_type: str = "EC2") -> Iterator[tuple[dict[str, str], AgentState]]:
    """Yields the environment the ECS agent would set in a task container, and the fake's state."""
    state = AgentState(launch_type=launch_type)
    with serve(_AgentHandler, state) as url:
        env = {
            "ECS_AGENT_URI": f"{url}/api/task-1",
            "ECS_CONTAINER_METADATA_URI_V4": f"{url}/v4/task-1",
        }
        yield env, state
