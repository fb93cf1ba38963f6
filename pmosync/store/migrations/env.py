"""Alembic environment for the pmosync store.

pmosync always runs migrations on a connection it opened itself (``pmosync db upgrade`` or a
new store's first open), passed in ``config.attributes["connection"]``; there is no alembic.ini.
"""

from alembic import context

from pmosync.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
