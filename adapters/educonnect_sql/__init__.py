"""Storage adapter: SQLAlchemy 2 + Alembic (SQLite embedded default, PostgreSQL for scale)."""
