"""Alembic's entry point: run the migrations on the connection the store hands over (database.py)."""

from alembic import context

from virt_doctor.store.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
