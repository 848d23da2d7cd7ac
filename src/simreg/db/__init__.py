"""Storage: tables, engine setup, unit of work, repositories and Alembic migrations."""
