"""Small value types shared by the fake's modules: API errors, recorded rule violations, uploads, injected faults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .payloads import JSON


class APIError(Exception):
    """Raised by route logic; the server turns it into Discord's JSON error body and records it."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> JSON:
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


@dataclass
class RecordedError:
    """An error response the fake gave the bot because the bot broke one of Discord's rules."""

    method: str
    path: str
    status: int
    code: int
    message: str
    errors: JSON | None = None
    request_body: Any = None

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status} ({self.code} {self.message}) {self.errors or ''}".strip()


@dataclass
class Upload:
    field: str
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class Failure:
    pattern: str
    status: int
    remaining: int
    retry_after: float
