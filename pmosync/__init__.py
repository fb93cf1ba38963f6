"""pmosync: one consolidated, trustworthy picture of a portfolio kept in many project tools.

Data flows one way: config -> connectors -> mapping -> store -> reports -> delivery.
Importing this package is deliberately cheap: the CLI's ``--help`` must not pay for
SQLAlchemy, the SDKs or matplotlib.
"""

__version__ = "0.1.0"
