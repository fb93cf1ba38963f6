"""Connectors: one sub-package per external system.

A connector knows HTTP, authentication, pagination and quotas, and yields the source's records
as it returns them (plain dicts) in ``Page`` objects; it never knows the canonical model. The
sync engine maps each page and stores it together with the stream's checkpoint.
"""
