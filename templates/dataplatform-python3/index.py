"""The entrypoint server of a Dataplatform Python function, behind of-watchdog in mode=http (the watchdog's
`upstream_url`, 127.0.0.1:3000). The contract of templates/dataplatform-node20: every answer is JSON, an error keeps
its status (`PlatformError` → its status and code, a bug → 500 that reveals nothing), a 5xx says only its code and
the call id, callers present the platform's call token, `GET /_/health` is open, SIGTERM finishes the calls in flight.

The function is `handler.py` beside this file: `handle(event, context)` returns a JSON value (answered 200) or
`(status, value)`. Standard library only."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dataplatform_runtime import (
    InvalidPayloadError,
    Logger,
    PlatformError,
    PayloadTooLargeError,
    is_same_secret,
    presented_call_token,
    public_failure_message,
    read_call_token,
)

HEALTH_PATH = "/_/health"


@dataclass
class Event:
    """One call: the body parsed as JSON (`{}` for none: cron-connector sends none), and the request around it."""

    body: Any
    raw_body: bytes
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Context:
    """What the handler has besides the event: the function's name, the call id and a logger bound to both."""

    name: str
    call_id: str | None
    log: Logger


def parse_body(raw: bytes) -> Any:
    """The body as JSON whatever its content type (faas-cli invoke sends text/plain); empty → `{}`."""
    if raw.strip() == b"":
        return {}
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidPayloadError(f"the body is not JSON: {error}", [f"(root): {error}"]) from error


def error_answer(error: BaseException, call_id: str | None) -> tuple[int, dict[str, Any]]:
    """The answer of an error: its status and code; a 5xx (and any bug) only says its code and the call id."""
    if isinstance(error, PlatformError):
        body: dict[str, Any] = {"error": error.code, "message": str(error) if error.status < 500 else public_failure_message(error.code, call_id)}
        if isinstance(error, InvalidPayloadError):
            body["issues"] = error.issues
        return error.status, body
    return 500, {"error": "internal_error", "message": public_failure_message("internal_error", call_id)}


def make_request_handler(name: str, handle: Any, token: str | None, log: Logger, max_body_bytes: int) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the access log is the watchdog's
            pass

        def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body, default=str).encode("utf-8")
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            for header, value in (headers or {}).items():
                self.send_header(header, value)
            if self.close_connection:
                # Say so: a client that is not told keeps the socket for its next call, which then fails.
                self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(data)

        def _read_body(self) -> bytes:
            """The body, whole: by its Content-Length, or chunk by chunk (the watchdog forwards a proxied call chunked)."""
            too_large = PayloadTooLargeError(f"the body has more than {max_body_bytes} bytes, the most accepted")
            if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
                chunks: list[bytes] = []
                size = 0
                while True:
                    chunk_length = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                    if chunk_length == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(chunks)
                    size += chunk_length
                    if size > max_body_bytes:
                        self.close_connection = True
                        raise too_large
                    chunks.append(self.rfile.read(chunk_length))
                    self.rfile.readline()
            length = int(self.headers.get("content-length") or 0)
            if length > max_body_bytes:
                self.close_connection = True
                raise too_large
            return self.rfile.read(length) if length > 0 else b""

        def _serve(self) -> None:
            url = urlsplit(self.path)
            if self.command == "GET" and url.path == HEALTH_PATH:
                self._answer(200, {"status": "ok"})
                return
            call_id = self.headers.get("x-call-id")
            call_log = log.child({"call_id": call_id}) if call_id else log
            if token is None:
                call_log.error({}, "no call token configured: every call is refused")
                self._answer(500, {"error": "configuration_error", "message": public_failure_message("configuration_error", call_id)})
                return
            presented = presented_call_token(self.headers.get("authorization"))
            if presented is None or not is_same_secret(presented, token):
                self.close_connection = True
                self._answer(401, {"error": "unauthorized", "message": "this function needs the platform call token"}, {"www-authenticate": 'Basic realm="dataplatform"'})
                return
            try:
                raw = self._read_body()
                event = Event(
                    body=parse_body(raw),
                    raw_body=raw,
                    method=self.command,
                    path=url.path,
                    headers={key.lower(): value for key, value in self.headers.items()},
                    query=parse_qs(url.query),
                )
                result = handle(event, Context(name=name, call_id=call_id, log=call_log))
                status, body = result if isinstance(result, tuple) else (200, result)
                self._answer(status, body)
            except Exception as error:  # noqa: BLE001 - every error becomes an answer; none ends the process
                status, body = error_answer(error, call_id)
                fields = {"status": status, "error_code": body["error"], "err": error}
                if status >= 500:
                    call_log.error({**fields, "stack": "".join(traceback.format_exception(error))}, "call failed")
                else:
                    call_log.warn(fields, "call refused")
                self._answer(status, body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    return RequestHandler


def main() -> None:
    name = os.environ.get("FUNCTION_NAME") or os.path.basename(os.getcwd())
    log = Logger({"function": name})
    try:
        token = read_call_token()
    except ValueError as error:
        log.error({"err": error}, "the call token is unusable: every call is refused")
        token = None
    if token is None:
        log.error({}, "no call token configured (the OpenFaaS secret dataplatform-call-token): every call is refused")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import handler  # the function's module, beside this file

    port = int(os.environ.get("http_port", "3000"))
    server = ThreadingHTTPServer(("127.0.0.1", port), make_request_handler(name, handler.handle, token, log, int(os.environ.get("MAX_BODY_BYTES", str(1024 * 1024)))))
    server.daemon_threads = False  # server_close() waits for the calls in flight

    def stop(signum: int, _frame: Any) -> None:
        log.info({"signal": signal.Signals(signum).name}, "stopping: finishing the calls in flight")
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info({"port": port}, "listening")
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
