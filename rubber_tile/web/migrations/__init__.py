"""Alembic migrations of the order store (run by store.migrate() at start: `alembic upgrade head`)."""
