"""Storage adapter: SQLAlchemy 2 Core + Alembic (SQLite embedded default, PostgreSQL for scale).

    >>> from educonnect_sql import SqlStorage
    >>> storage = SqlStorage.open("sqlite:///educonnect.db", migrate=True)  # doctest: +SKIP

`SqlStorage` implements `educonnect_core.ports.Storage`; it passes the core's storage contract
suite (`educonnect_core.testing.contract`) on SQLite and PostgreSQL.
"""

from educonnect_sql.errors import ConnectionLost, NotOurDatabase, SchemaMismatch, StorageBusy
from educonnect_sql.migrate import head as schema_head
from educonnect_sql.storage import SqlStorage, SqlUnitOfWork

__all__ = [
    "ConnectionLost",
    "NotOurDatabase",
    "SchemaMismatch",
    "SqlStorage",
    "SqlUnitOfWork",
    "StorageBusy",
    "schema_head",
]
