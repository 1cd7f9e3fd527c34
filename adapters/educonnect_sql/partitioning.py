"""Partition the directory's big tables on PostgreSQL (an operator's step, see ``docs/scale.md``).

`partition_directory(connection, partitions)` rebuilds ``students`` and ``guardian_links`` as
tables partitioned **by hash of the pupil id** (co-partitioned: a pupil and its links share a
partition number) and ``classes`` by hash of the class id, in the caller's transaction, keeping
every row, column type, collation, key, index and the links' cascading foreign key. Every
statement of the library runs unchanged on them: their conflict targets (``ON CONFLICT
(student_id)``, ``(class_id)``) are the partition keys, which PostgreSQL requires of a unique
constraint on a partitioned table. The storage contract passes on the result
(``tests/sql/test_pg_partitioned.py``).

Partitioning **by académie** (list partitions, the locality ``docs/scale.md`` wishes for) is not
offered: a unique key of such a table must include the académie, so the library's conflict
targets and the links' foreign key would have to carry it, and a pupil moving to a school of
another académie would have to be deleted and inserted rather than updated — changes to the
adapter's statements that this function does not make.

Call it from a host's Alembic revision (``partition_directory(op.get_bind(), 16)``) after the
library's own, or once on a base no process is using: it takes an exclusive lock on the three
tables and copies them.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection

__all__ = ["PARTITIONED", "partition_directory", "partitioned_tables"]

#: Each partitioned table: (its partition key, its primary key, its other indexes as (name,
#: columns)).
PARTITIONED: Final = {
    "classes": ("class_id", ("class_id",), (("ix_classes_uai", ("uai",)),)),
    "students": ("student_id", ("student_id",), (("ix_students_uai", ("uai", "student_id")),)),
    "guardian_links": (
        "student_id",
        ("student_id", "responsable_id"),
        (("ix_guardian_links_responsable", ("responsable_id", "student_id")),),
    ),
}


def partitioned_tables(connection: Connection) -> dict[str, int]:
    """The partitioned tables of the current schema, with their number of partitions."""
    rows = connection.exec_driver_sql(
        "SELECT parent.relname, count(*) FROM pg_inherits "
        "JOIN pg_class parent ON parent.oid = pg_inherits.inhparent "
        "JOIN pg_partitioned_table p ON p.partrelid = parent.oid "
        "WHERE parent.relnamespace = to_regnamespace(current_schema())::oid "
        "GROUP BY parent.relname"
    )
    return {name: int(count) for name, count in rows}


def partition_directory(connection: Connection, partitions: int = 16) -> None:
    """Rebuild ``classes``, ``students`` and ``guardian_links`` as hash-partitioned tables of
    `partitions` partitions each, in `connection`'s transaction (see the module's docstring).
    """
    if connection.dialect.name != "postgresql":
        raise ValueError("partitioning is a PostgreSQL feature: SQLite has none")
    if partitions < 2:
        raise ValueError("at least two partitions")
    run = connection.exec_driver_sql
    run("LOCK TABLE guardian_links, students, classes IN ACCESS EXCLUSIVE MODE")
    for table, (key, _, _) in PARTITIONED.items():
        run(
            f"CREATE TABLE {table}_partitioned (LIKE {table} INCLUDING DEFAULTS "
            f"INCLUDING CONSTRAINTS) PARTITION BY HASH ({key})"
        )
        for number in range(partitions):
            run(
                f"CREATE TABLE {table}_{number} PARTITION OF {table}_partitioned "
                f"FOR VALUES WITH (MODULUS {partitions}, REMAINDER {number})"
            )
        run(f"INSERT INTO {table}_partitioned SELECT * FROM {table}")  # noqa: S608 - fixed names
    run("DROP TABLE guardian_links, students, classes")
    for table, (_, primary, indexes) in PARTITIONED.items():
        run(f"ALTER TABLE {table}_partitioned RENAME TO {table}")
        run(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({', '.join(primary)})")
        for name, columns in indexes:
            run(f"CREATE INDEX {name} ON {table} ({', '.join(columns)})")
    run(
        "ALTER TABLE guardian_links ADD CONSTRAINT guardian_links_student_id_fkey "
        "FOREIGN KEY (student_id) REFERENCES students (student_id) ON DELETE CASCADE"
    )
    run("ANALYZE classes, students, guardian_links")
