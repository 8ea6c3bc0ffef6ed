"""Alembic migrations of the intake database, installed as the package intake.migrations."""
