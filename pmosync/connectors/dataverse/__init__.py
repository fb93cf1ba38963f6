"""Planner premium plans (formerly Project for the web), read from a Power Platform
environment's Dataverse tables through the Dataverse Web API (OData v4).

``source.PremiumSource`` is what the sync engine opens; ``client`` speaks HTTP, ``tracking``
reads a table's changes (change tracking or ``modifiedon``), ``people`` turns system users and
bookable resources into person records, ``streams`` holds the five streams.
"""
