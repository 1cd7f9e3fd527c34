"""Storage adapter: SQLAlchemy 2 Core + Alembic (SQLite embedded default, PostgreSQL for scale).

    >>> from educonnect_sql import SqlStorage
    >>> storage = SqlStorage.open("sqlite:///educonnect.db", migrate=True)  # doctest: +SKIP

`SqlStorage` implements `educonnect_core.ports.Storage`; it passes the core's storage contract
suite (`educonnect_core.testing.contract`) on SQLite and PostgreSQL.
"""

try:  # The « sql » extra's libraries: say which extra to install, not just what is missing.
    import alembic as _alembic  # noqa: F401
    import sqlalchemy as _sqlalchemy  # noqa: F401
except ModuleNotFoundError as _missing:
    raise ModuleNotFoundError(
        f"educonnect_sql needs {_missing.name}, which the « sql » extra installs: "
        'pip install "educonnect-core[sql]"',
        name=_missing.name,
    ) from _missing

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
