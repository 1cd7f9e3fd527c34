"""The PostgreSQL server of the SQL tests, shared by the self-service storage contract."""

from __future__ import annotations

from tests.sql.conftest import postgres  # noqa: F401 - the session's throwaway server
