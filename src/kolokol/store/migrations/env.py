"""Alembic environment: the engine is handed in by kolokol.store.db (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context

from kolokol.store.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    from kolokol.config import load_settings
    from kolokol.store.db import create_db_engine

    engine = create_db_engine(load_settings().database_url)

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
