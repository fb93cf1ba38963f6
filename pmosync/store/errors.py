"""The exceptions the store raises for problems a user can cause or fix: one line each,
never a password."""


class StoreError(Exception):
    """A store that cannot be opened, migrated or written."""


class StoreUrlError(StoreError):
    """A store URL that is wrong as written (a configuration error, not an outage)."""
