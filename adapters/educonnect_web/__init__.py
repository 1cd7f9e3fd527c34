"""The reference web console of educonnect-core: the director's « Administration des comptes »
(school choice, Responsables, account page, Statistiques), the guardian's pages (login, first
connection, confirmation link, changes) and a JSON API, as one FastAPI application.

A thin adapter: every rule is the core's. `create_app(app, authenticator, settings)` builds it.
"""

from educonnect_web.app import create_app
from educonnect_web.auth import Authenticator, DirectorsFile, directors_entry
from educonnect_web.security import CSP, RateLimiter, SessionStore
from educonnect_web.state import WebSettings

__all__ = [
    "CSP",
    "Authenticator",
    "DirectorsFile",
    "RateLimiter",
    "SessionStore",
    "WebSettings",
    "create_app",
    "directors_entry",
]
