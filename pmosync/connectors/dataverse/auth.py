"""The bearer token of every Dataverse request, from the credential the config names.

The azure-identity credentials are the SYNC ones: the client is a plain ``httpx.Client`` on the
stream's thread, with no event loop to run an async credential on. The token's scope is the
environment itself (``https://contoso.crm4.dynamics.com/.default``); it is cached until five
minutes before it expires, so a run asks Entra ID once an hour at most. A static ``token``
(the sandbox, short trials) is used as given. A credential that fails becomes one line without
any secret, in the same words as the Graph connectors' (docs/troubleshooting.md, Sign-in fails).
"""

from __future__ import annotations

import threading
import time

from pmosync.config.connectors import PlannerPremiumConnector
from pmosync.connectors.errors import ConnectorError
from pmosync.connectors.microsoft.auth import open_credential, sign_in_error

REFRESH_S = 300.0
"""A cached token is renewed this long before it expires (a long page must not outlive it)."""


def environment_scope(config: PlannerPremiumConnector) -> str:
    """``{environment}/.default``: the app's Dataverse permission in the environment."""
    return f"{config.environment_url}/.default"


class TokenSource:
    """Hands out the bearer token, fetching and caching it from the credential."""

    def __init__(self, config: PlannerPremiumConnector) -> None:
        self._static = config.token.get_secret_value() if config.token is not None else None
        self._scope = environment_scope(config)
        self._credential = open_credential(config, sync=True)
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        if self._static is not None:
            return self._static
        with self._lock:
            if self._token is None or time.time() >= self._expires - REFRESH_S:
                try:
                    access = self._credential.get_token(self._scope)
                except ConnectorError:
                    raise
                except Exception as error:  # noqa: BLE001 - azure-identity's sign-in failures
                    raise sign_in_error(error) from None
                self._token, self._expires = access.token, float(access.expires_on)
            return self._token

    @property
    def renewable(self) -> bool:
        """Whether a refused token can be replaced (not a static one)."""
        return self._static is None

    def forget(self) -> None:
        """Drop the cached token (a 401: it may have been revoked early)."""
        with self._lock:
            self._token, self._expires = None, 0.0

    def close(self) -> None:
        if self._credential is not None:
            self._credential.close()
