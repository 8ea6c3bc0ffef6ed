"""Alembic environment: run by `intake db upgrade` with the service's database URL."""

from __future__ import annotations

from alembic import context

from intake.db import make_engine
from intake.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(
    _obj: object, name: str | None, kind: str, reflected: bool, compare_to: object
) -> bool:
    """Leave to the migrations what the models do not describe: the full-text search tables
    (SQLite's FTS5 and their shadow tables) and PostgreSQL's expression indexes for them."""
    if kind == "table" and reflected and compare_to is None:
        return False
    return not (kind == "index" and (name or "").endswith("_fts"))


def run_migrations_offline() -> None:
    """Write the SQL instead of running it (`alembic upgrade --sql`)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a live connection (SQLite gets its pragmas from make_engine).

    SQLite cannot ALTER most things, so Alembic's batch mode copies a table and drops the old
    one. With foreign keys on, that drop would delete or refuse the rows pointing at it, so the
    migration runs as SQLite's own procedure for altering tables prescribes: foreign keys off
    for the transaction, then `PRAGMA foreign_key_check` before commit, which must find nothing.
    """
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = make_engine(url, pool_size=1)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        driver = connection.connection.driver_connection
        if sqlite:  # on the driver's connection: SQLAlchemy would wrap it in a transaction
            driver.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            include_object=include_object,
        )
        try:
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                driver.execute("PRAGMA foreign_keys=ON")
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
