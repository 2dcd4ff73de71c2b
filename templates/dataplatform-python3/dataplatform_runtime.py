"""What a Dataplatform Python function shares with the TypeScript ones: the errors a caller can see (each with its
HTTP status and a stable code, as shared/errors.ts), JSON log lines with secrets censored (as shared/log.ts), and the
call token check (as shared/runtime/call-token.ts). Standard library only: the server imports it before the
function's packages."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import sys
from typing import Any, TextIO


class PlatformError(Exception):
    """An error a caller can see: its HTTP `status`, a stable `code`, and whether a later try can help."""

    status = 500
    code = "internal_error"
    retryable = False


class InvalidPayloadError(PlatformError):
    status = 400
    code = "invalid_payload"

    def __init__(self, message: str, issues: list[str] | None = None) -> None:
        super().__init__(message)
        self.issues = issues or []


class UnauthorizedError(PlatformError):
    status = 401
    code = "unauthorized"


class NotFoundError(PlatformError):
    status = 404
    code = "not_found"


class PayloadTooLargeError(PlatformError):
    status = 413
    code = "payload_too_large"


class UpstreamError(PlatformError):
    """A service answered, but not with something usable (a refusal a retry cannot fix)."""

    status = 502
    code = "upstream_error"


class UpstreamUnavailableError(PlatformError):
    """A service (PostgreSQL, MongoDB, MLflow, MLServer) cannot be reached: a later try may work."""

    status = 503
    code = "upstream_unavailable"
    retryable = True


class ConfigurationError(PlatformError):
    status = 500
    code = "configuration_error"


def public_failure_message(code: str, call_id: str | None) -> str:
    """What a caller reads of a 5xx answer: the code and the call id; the details stay in the log."""
    where = "" if call_id is None else f" under call id {call_id}"
    return f"the function failed ({code}); its log has the details{where}"


# Field names whose string values are secrets, in any case and at any depth (shared/log.ts's rule).
SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?$|secret|token|api[-_]?key|authori[sz]ation|authentication|cookie|signature|private[-_]?key|credential",
    re.IGNORECASE,
)
URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@", re.IGNORECASE)
REDACTED = "[redacted]"
LEVELS = {"debug": 20, "info": 30, "warn": 40, "error": 50}


def redact_secrets(value: Any, depth: int = 0) -> Any:
    """A copy of a value to log with every secret censored: secret-named string fields, URL passwords in strings."""
    if isinstance(value, str):
        return URL_PASSWORD.sub(rf"\1{REDACTED}@", value)
    if depth >= 8:
        return "[too deep]"
    if isinstance(value, dict):
        return {
            str(key): REDACTED if SECRET_KEY.search(str(key)) and isinstance(field, (str, bytes)) else redact_secrets(field, depth + 1)
            for key, field in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact_secrets(item, depth + 1) for item in value]
    if isinstance(value, BaseException):
        return {"type": type(value).__name__, "message": redact_secrets(str(value), depth + 1)}
    return value


class Logger:
    """JSON lines on stdout, as pino writes them here: `level` (label), `time`, the bindings, the fields, `msg`."""

    def __init__(self, bindings: dict[str, Any] | None = None, stream: TextIO | None = None, level: str | None = None) -> None:
        self._bindings = redact_secrets(bindings or {})
        self._stream = stream or sys.stdout
        self._threshold = LEVELS.get((level or os.environ.get("LOG_LEVEL", "info")).lower(), 30)

    def child(self, bindings: dict[str, Any]) -> "Logger":
        child = Logger(stream=self._stream)
        child._bindings = {**self._bindings, **redact_secrets(bindings)}
        child._threshold = self._threshold
        return child

    def _write(self, level: str, fields: dict[str, Any] | None, message: str) -> None:
        if LEVELS[level] < self._threshold:
            return
        time = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        line = {"level": level, "time": time, **self._bindings, **redact_secrets(fields or {}), "msg": message}
        self._stream.write(json.dumps(line, default=str) + "\n")
        self._stream.flush()

    def debug(self, fields: dict[str, Any] | None, message: str) -> None:
        self._write("debug", fields, message)

    def info(self, fields: dict[str, Any] | None, message: str) -> None:
        self._write("info", fields, message)

    def warn(self, fields: dict[str, Any] | None, message: str) -> None:
        self._write("warn", fields, message)

    def error(self, fields: dict[str, Any] | None, message: str) -> None:
        self._write("error", fields, message)


CALL_TOKEN_SECRET = "dataplatform-call-token"
MIN_CALL_TOKEN_LENGTH = 24


def read_call_token(env: dict[str, str] | None = None) -> str | None:
    """The token of this process: CALL_TOKEN, else the OpenFaaS secret file in SECRETS_DIR (/var/openfaas/secrets)."""
    env = dict(os.environ) if env is None else env
    token = (env.get("CALL_TOKEN") or "").strip()
    where = "CALL_TOKEN"
    if token == "":
        where = os.path.join(env.get("SECRETS_DIR", "/var/openfaas/secrets"), CALL_TOKEN_SECRET)
        try:
            with open(where, encoding="utf-8") as file:
                token = file.read().strip()
        except OSError:
            return None
    if len(token) < MIN_CALL_TOKEN_LENGTH:
        raise ValueError(f"the call token in {where} is shorter than {MIN_CALL_TOKEN_LENGTH} characters")
    return token


def presented_call_token(authorization: str | None) -> str | None:
    """The token a call presents: `Authorization: Bearer <token>`, or the password of `Authorization: Basic`."""
    if authorization is None:
        return None
    bearer = re.fullmatch(r"Bearer\s+(\S+)\s*", authorization, re.IGNORECASE)
    if bearer:
        return bearer.group(1)
    basic = re.fullmatch(r"Basic\s+([A-Za-z0-9+/=]+)\s*", authorization, re.IGNORECASE)
    if not basic:
        return None
    try:
        decoded = base64.b64decode(basic.group(1)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded.split(":", 1)[1] if ":" in decoded else None


def is_same_secret(presented: str, expected: str) -> bool:
    """Compares two secrets in constant time whatever their lengths (their SHA-256 digests are compared)."""
    digest = lambda value: hashlib.sha256(value.encode("utf-8")).digest()  # noqa: E731
    return hmac.compare_digest(digest(presented), digest(expected))
