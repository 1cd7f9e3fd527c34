"""The Alembic migrations of the storage schema (run through `educonnect_sql.migrate`)."""
