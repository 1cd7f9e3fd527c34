"""Alembic's environment: runs on the connection `educonnect_sql.migrate` hands over.

There is no ``alembic.ini`` and no logging set-up here: the host application owns logging, and
the engine (with its SQLite pragmas) is built by the adapter.
"""

from __future__ import annotations

from alembic import context

from educonnect_sql.migrate import compare_type
from educonnect_sql.schema import METADATA, VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=METADATA,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=compare_type,
)
with context.begin_transaction():
    context.run_migrations()
