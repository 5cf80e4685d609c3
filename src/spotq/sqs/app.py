"""The SQS HTTP handler: picks the protocol, checks signatures, calls the service, formats.

JSON 1.0 when `X-Amz-Target: AmazonSQS.<Op>` is present; otherwise the query protocol (form body
or query string with `Action=`), handled by `protocol_query`. Status codes come from the errors.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Awaitable, Mapping
from typing import Any
from urllib.parse import unquote

from spotq.clock import Clock
from spotq.sqs import longpoll, messages, protocol_json
from spotq.sqs.errors import SqsError, sqs_error
from spotq.sqs.forms import parse_form
from spotq.sqs.http import HttpRequest, HttpResponse
from spotq.sqs.service import RequestContext, SqsService

log = logging.getLogger(__name__)


class _RequestIds:
    """UUID-shaped request ids: a random prefix per server and a counter (unique, and cheaper
    than a urandom call per request)."""

    def __init__(self) -> None:
        self._prefix = messages.message_id()[:24]
        self._counter = itertools.count()

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._counter) & _COUNTER_MASK:012x}"


_COUNTER_MASK = (1 << 48) - 1

_JSON = protocol_json.CONTENT_TYPE
_XML = "text/xml"


class SqsApp:
    """Callable HTTP handler for the SQS server."""

    def __init__(
        self,
        service: SqsService,
        waiters: longpoll.Waiters,
        clock: Clock,
        credentials: Mapping[str, str] | None = None,
    ) -> None:
        self.service = service
        self.waiters = waiters
        self.clock = clock
        self.credentials = dict(credentials) if credentials else None
        self._contexts: dict[str, RequestContext] = {}
        self._request_id = _RequestIds()
        self._signed_region = _SignedRegions()

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        request_id = self._request_id()
        target = request.headers.get("x-amz-target")
        is_json = target is not None and target.startswith(protocol_json.TARGET_PREFIX)
        try:
            if self.credentials is not None:
                self._verify(request)
            if is_json:
                assert target is not None
                return self._json(request, target, request_id)
            return self._query(request, request_id)
        except SqsError as error:
            return self._error(error, request_id, is_json)
        except Exception:
            log.exception("internal error answering %s %s", request.method, request.path)
            failure = sqs_error("InternalFailure", "The request processing has failed.")
            return self._error(failure, request_id, is_json)

    def _context(self, request: HttpRequest) -> RequestContext:
        host = request.headers.get("host", "localhost")
        authorization = request.headers.get("authorization")
        if authorization is None and "X-Amz-Credential=" in request.query_string:
            region = _presigned_region(request.query_string)
        else:
            region = self._signed_region(authorization)
        key = f"{host} {region}"
        ctx = self._contexts.get(key)
        if ctx is None:
            store = self.service.store
            ctx = RequestContext(f"http://{host}", region or store.region, store.account_id)
            if len(self._contexts) < 64:
                self._contexts[key] = ctx
        return ctx

    def _verify(self, request: HttpRequest) -> None:
        try:
            from spotq.sqs import sigv4
        except ImportError:
            raise sqs_error(
                "InvalidClientTokenId", "Signature verification is not available."
            ) from None
        assert self.credentials is not None
        sigv4.verify_sigv4(
            request.method,
            request.path,
            request.query_string,
            request.headers,
            request.body,
            self.credentials,
            self.clock.now(),
        )

    def _json(
        self, request: HttpRequest, target: str, request_id: str
    ) -> HttpResponse | Awaitable[HttpResponse]:
        operation, params = protocol_json.parse_request(target, request.body)
        _add_trace_header(request, operation, params)
        ctx = self._context(request)
        result = self.service.call(operation, params, ctx)
        if operation == "ReceiveMessage" and not result:
            wait_s = longpoll.wait_time(self.service, params)
            if wait_s > 0:
                return self._json_waiting(params, ctx, wait_s, request_id)
        return self._json_ok(operation, result, request_id)

    async def _json_waiting(
        self, params: dict[str, Any], ctx: RequestContext, wait_s: float, request_id: str
    ) -> HttpResponse:
        try:
            result = await longpoll.receive_waiting(self.service, self.waiters, params, ctx, wait_s)
        except SqsError as error:
            return self._error(error, request_id, True)
        except Exception:
            log.exception("internal error in a long-polling receive")
            failure = sqs_error("InternalFailure", "The request processing has failed.")
            return self._error(failure, request_id, True)
        return self._json_ok("ReceiveMessage", result, request_id)

    @staticmethod
    def _json_ok(operation: str, result: dict[str, Any], request_id: str) -> HttpResponse:
        headers = [("Content-Type", _JSON), ("x-amzn-RequestId", request_id)]
        return HttpResponse(200, protocol_json.render_result(result, operation), headers)

    def _query(
        self, request: HttpRequest, request_id: str
    ) -> HttpResponse | Awaitable[HttpResponse]:
        protocol_query = _query_module()
        form = _form(request)
        operation, params = protocol_query.parse_query_request(form, request.path)
        _add_trace_header(request, operation, params)
        ctx = self._context(request)
        result = self.service.call(operation, params, ctx)
        if operation == "ReceiveMessage" and not result:
            wait_s = longpoll.wait_time(self.service, params)
            if wait_s > 0:
                return self._query_waiting(operation, params, ctx, wait_s, request_id)
        body = protocol_query.render_query_response(operation, result, request_id)
        return HttpResponse(200, body, _xml_headers(request_id))

    async def _query_waiting(
        self,
        operation: str,
        params: dict[str, Any],
        ctx: RequestContext,
        wait_s: float,
        request_id: str,
    ) -> HttpResponse:
        protocol_query = _query_module()
        try:
            result = await longpoll.receive_waiting(self.service, self.waiters, params, ctx, wait_s)
        except SqsError as error:
            return self._error(error, request_id, False)
        body = protocol_query.render_query_response(operation, result, request_id)
        return HttpResponse(200, body, _xml_headers(request_id))

    def _error(self, error: SqsError, request_id: str, is_json: bool) -> HttpResponse:
        if error.status >= 500:
            log.error("SQS %s: %s", error.shape, error.message)
        if is_json:
            body, extra = protocol_json.render_error(error)
            headers = [("Content-Type", _JSON), ("x-amzn-RequestId", request_id), *extra]
            return HttpResponse(error.status, body, headers)
        try:
            protocol_query = _query_module()
        except SqsError:
            body = _bare_xml_error(error, request_id)
            return HttpResponse(error.status, body, _xml_headers(request_id))
        body = protocol_query.render_query_error(error, request_id)
        return HttpResponse(error.status, body, _xml_headers(request_id))

    def http_error(self, status: int, message: str) -> HttpResponse:
        """Errors raised by the HTTP layer itself (unparseable request, body too large)."""
        shape = "RequestEntityTooLarge" if status == 413 else "MalformedInput"
        if status >= 500:
            shape = "InternalFailure"
        return self._error(sqs_error(shape, message), self._request_id(), True)


_REGION_RE = re.compile(r"[a-z0-9-]{1,32}")
_SCOPE_CACHE_SIZE = 256


def _region_of_scope(scope: str) -> str:
    """The region of a credential scope `KEY/DATE/REGION/SERVICE/aws4_request` ('' if none)."""
    parts = scope.split("/", 3)
    if len(parts) < 4 or not _REGION_RE.fullmatch(parts[2]):
        return ""
    return parts[2]


def _presigned_region(query_string: str) -> str:
    """The region of a presigned request's X-Amz-Credential ('' if none)."""
    start = query_string.find("X-Amz-Credential=") + len("X-Amz-Credential=")
    end = query_string.find("&", start)
    return _region_of_scope(unquote(query_string[start : end if end >= 0 else None]))


class _SignedRegions:
    """The region a SigV4 Authorization header's credential scope names ('' if none): replies
    carry it in ARNs, as AWS's regional endpoints do. Every request carries one, and a client's
    scope changes once a day, so regions are cached by scope."""

    def __init__(self) -> None:
        self._by_scope: dict[str, str] = {}

    def __call__(self, authorization: str | None) -> str:
        if not authorization:
            return ""
        start = authorization.find("Credential=")
        if start < 0:
            return ""
        end = authorization.find(",", start)
        scope = authorization[start + 11 : end if end >= 0 else len(authorization)]
        region = self._by_scope.get(scope)
        if region is None:
            region = _region_of_scope(scope)
            if len(self._by_scope) >= _SCOPE_CACHE_SIZE:
                self._by_scope.clear()
            self._by_scope[scope] = region
        return region


_TRACED = frozenset(["SendMessage", "SendMessageBatch"])


def _add_trace_header(request: HttpRequest, operation: str, params: dict[str, Any]) -> None:
    """An X-Amzn-Trace-Id request header on a send becomes each message's AWSTraceHeader
    system attribute, unless the message sets its own (as SQS does)."""
    trace = request.headers.get("x-amzn-trace-id")
    if trace is None or operation not in _TRACED:
        return
    messages_ = params.get("Entries") if operation == "SendMessageBatch" else [params]
    if not isinstance(messages_, list):
        return  # the model check reports it
    for message in messages_:
        system = (
            message.setdefault("MessageSystemAttributes", {}) if isinstance(message, dict) else None
        )
        if isinstance(system, dict):
            system.setdefault("AWSTraceHeader", {"DataType": "String", "StringValue": trace})


def _query_module() -> Any:
    """The query-protocol module, or an AWS-shaped error while it does not exist."""
    try:
        from spotq.sqs import protocol_query
    except ModuleNotFoundError as exc:
        if exc.name != "spotq.sqs.protocol_query":
            raise
        raise sqs_error(
            "InvalidAction", "Only the AWS JSON 1.0 protocol is supported by this server."
        ) from None
    return protocol_query


def _form(request: HttpRequest) -> dict[str, list[str]]:
    """Query-protocol parameters from the query string and a form-encoded body; invalid UTF-8,
    raw or percent-encoded, is refused rather than replaced."""
    form = _parse_form(request.query_string, "query string")
    if request.method == "POST" and request.body:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise _not_utf8("request body") from None
        body = _parse_form(text, "request body")
        if not form:
            return body
        for key, values in body.items():
            form.setdefault(key, []).extend(values)
    return form


def _parse_form(text: str, where: str) -> dict[str, list[str]]:
    try:
        return parse_form(text)
    except UnicodeDecodeError:
        raise _not_utf8(where) from None


def _not_utf8(where: str) -> SqsError:
    return sqs_error("MalformedQueryString", f"The {where} is not valid UTF-8.")


def _xml_headers(request_id: str) -> list[tuple[str, str]]:
    return [("Content-Type", _XML), ("x-amzn-RequestId", request_id)]


def _bare_xml_error(error: SqsError, request_id: str) -> bytes:
    from xml.sax.saxutils import escape

    return (
        '<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">'
        f"<Error><Type>Sender</Type><Code>{escape(error.code)}</Code>"
        f"<Message>{escape(error.message)}</Message><Detail/></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
