"""Storage adapter: SQLModel rows, the unit of work, repositories and Alembic migrations."""
