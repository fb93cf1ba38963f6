"""The one exception the store raises for problems a user can cause or fix."""


class StoreError(Exception):
    """A store that cannot be opened, migrated or written: one line, never a password."""
