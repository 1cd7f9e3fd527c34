"""Sessions, CSRF tokens, security headers and the per-IP rate limit of the web console.

Sessions live on the server (a random id in an HttpOnly, SameSite=Lax cookie); the id is replaced
at every login so that an id planted before login is worthless. A guardian's session carries the
generation of the account's credentials: a reset, a password or an e-mail change ends it.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, MutableMapping
from typing import Final

import attrs
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CSP",
    "RateLimiter",
    "SecurityHeaders",
    "SessionData",
    "SessionStore",
    "same_token",
]

#: Nothing inline, nothing from elsewhere, never inside a frame.
CSP: Final = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def same_token(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted CSRF token with the session's."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


@attrs.define
class SessionData:
    """What the server remembers of one browser: who is logged in and the step under way."""

    csrf: str = attrs.Factory(lambda: secrets.token_urlsafe(32))
    director_id: str | None = None
    uai: str | None = None
    guardian: str | None = None
    #: The generation of the guardian's credentials (`Account.credentials`) this session lives
    #: under: a reset, a password or an e-mail change ends it.
    credential: int | None = None
    #: The provisional password between login and first connection (server side only).
    pending_password: str | None = attrs.field(default=None, repr=False)
    #: What the step under way shows (the named child, the pre-filled address).
    step: dict[str, str] = attrs.Factory(dict)
    #: Documents produced for this session (id → (filename, media type, content)).
    documents: dict[str, tuple[str, str, bytes]] = attrs.Factory(dict)
    #: The last search of the Responsables list, relaunched when coming back from an account.
    last_search: str = ""
    flash: list[str] = attrs.Factory(list)
    touched: float = attrs.Factory(time.monotonic)


class SessionStore:
    """Server-side sessions by random id, idle ones dropped after `idle_seconds`."""

    def __init__(self, idle_seconds: float = 3600.0, max_documents: int = 5) -> None:
        self._sessions: dict[str, SessionData] = {}
        self._lock = threading.Lock()
        self.idle_seconds = idle_seconds
        self.max_documents = max_documents
        #: Above this many sessions, idle ones are dropped when a new one opens.
        self.purge_above = 10_000

    def get(self, sid: str | None) -> SessionData | None:
        """The live session of `sid`, or None."""
        if not sid:
            return None
        now = time.monotonic()
        with self._lock:
            data = self._sessions.get(sid)
            if data is None:
                return None
            if now - data.touched > self.idle_seconds:
                del self._sessions[sid]
                return None
            data.touched = now
            return data

    def new(self, data: SessionData | None = None) -> tuple[str, SessionData]:
        """A fresh id for `data` (or an empty session)."""
        sid = secrets.token_urlsafe(32)
        data = data if data is not None else SessionData()
        now = time.monotonic()
        with self._lock:
            if len(self._sessions) >= self.purge_above:
                idle = [k for k, v in self._sessions.items() if now - v.touched > self.idle_seconds]
                for key in idle:
                    del self._sessions[key]
            self._sessions[sid] = data
        return sid, data

    def __len__(self) -> int:
        return len(self._sessions)

    def rotate(self, sid: str | None) -> tuple[str, SessionData]:
        """End `sid` and open a new session with a new CSRF token (login)."""
        self.drop(sid)
        return self.new()

    def drop(self, sid: str | None) -> None:
        """End one session."""
        if sid:
            with self._lock:
                self._sessions.pop(sid, None)

    def drop_guardian(self, login: str) -> int:
        """End every session of guardian `login`; returns how many were ended."""
        with self._lock:
            ended = [k for k, v in self._sessions.items() if v.guardian == login]
            for key in ended:
                del self._sessions[key]
        return len(ended)

    def keep_document(self, data: SessionData, filename: str, media: str, content: bytes) -> str:
        """Remember a produced document for download by this session; returns its id."""
        key = secrets.token_urlsafe(16)
        data.documents[key] = (filename, media, content)
        while len(data.documents) > self.max_documents:
            data.documents.pop(next(iter(data.documents)))
        return key


class RateLimiter:
    """At most `limit` requests per `window` seconds from one client address (sliding window)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: MutableMapping[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> bool:
        """Count one request of `client`; False when over the limit."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and now - hits[0] > self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 100_000:  # forget idle clients rather than grow without bound
                for key in [k for k, v in self._hits.items() if not v][:50_000]:
                    del self._hits[key]
            return True


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp, *, tls: bool) -> None:
        self.app = app
        self.headers: list[tuple[bytes, bytes]] = [
            (b"content-security-policy", CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if tls:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, sending)
