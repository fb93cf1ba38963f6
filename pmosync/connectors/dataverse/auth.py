"""The bearer token of every Dataverse request, from the credential the config names.

The azure-identity credentials are the SYNC ones: the client is a plain ``httpx.Client`` on the
stream's thread, with no event loop to run an async credential on. The token's scope is the
environment itself (``https://contoso.crm4.dynamics.com/.default``); it is cached until five
minutes before it expires, so a run asks Entra ID once an hour at most. A static ``token``
(the sandbox, short trials) is used as given. A credential that fails becomes one line without
any secret, in the same words as the Graph connectors' (docs/troubleshooting.md, Sign-in fails).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from pmosync.config.connectors import PlannerPremiumConnector
from pmosync.connectors.errors import AuthenticationError, ConnectorError, UnreachableError

REFRESH_S = 300.0
"""A cached token is renewed this long before it expires (a long page must not outlive it)."""


def environment_scope(config: PlannerPremiumConnector) -> str:
    """``{environment}/.default``: the app's Dataverse permission in the environment."""
    return f"{str(config.environment).rstrip('/')}/.default"


def open_credential(config: PlannerPremiumConnector) -> Any | None:
    """The azure-identity sync credential the config names; None for a static token."""
    if config.token is not None:
        return None
    # azure-identity logs every failed token request as a warning with its traceback; the
    # failure reaches the user once, as our one-line sign-in error.
    logging.getLogger("azure.identity").setLevel(logging.ERROR)
    from azure.identity import (
        CertificateCredential,
        ClientSecretCredential,
        ManagedIdentityCredential,
    )

    if config.client_secret is not None:
        return ClientSecretCredential(
            config.tenant_id, config.client_id, config.client_secret.get_secret_value()
        )
    if config.certificate_path is not None:
        try:
            return CertificateCredential(
                config.tenant_id, config.client_id, certificate_path=config.certificate_path
            )
        except OSError as error:  # azure-identity reads the file here, before any request
            raise AuthenticationError(
                f"certificate_path {config.certificate_path}: cannot read it "
                f"({error.strerror or error})"
            ) from None
        except ValueError as error:
            raise AuthenticationError(
                f"certificate_path {config.certificate_path}: not a PEM or PKCS12 certificate "
                f"with its private key ({error})"
            ) from None
    return ManagedIdentityCredential(client_id=config.client_id)


class TokenSource:
    """Hands out the bearer token, fetching and caching it from the credential."""

    def __init__(self, config: PlannerPremiumConnector) -> None:
        self._static = config.token.get_secret_value() if config.token is not None else None
        self._scope = environment_scope(config)
        self._credential = open_credential(config)
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


def sign_in_error(error: Exception) -> ConnectorError:
    """azure-identity's failure to get a token, as one line without any secret."""
    from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError

    first = (getattr(error, "message", None) or str(error)).strip().splitlines()
    reason = first[0] if first else type(error).__name__
    if isinstance(error, ClientAuthenticationError):
        return AuthenticationError(f"could not sign in to Microsoft Entra ID: {reason}")
    if isinstance(error, ServiceRequestError):  # the sign-in service itself is out of reach
        return UnreachableError(f"cannot reach Microsoft Entra ID to sign in: {reason}")
    raise error
