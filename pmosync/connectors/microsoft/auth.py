"""Sign-in to Microsoft Graph and Dataverse from one of the four credentials the config allows.

The azure-identity credentials are the async ones: msgraph-sdk runs on asyncio, and a sync
credential would block the event loop while it fetches a token. A static token (the sandbox,
short trials) goes through the same kiota bearer-token provider so every request is signed
the same way, and only for the configured Graph host: a redirect to another host (a download
URL) never carries the token.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    AuthenticationProvider,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)

from pmosync.config.connectors import MicrosoftAuth, MicrosoftSignIn
from pmosync.connectors.errors import (
    AuthenticationError,
    ConnectorError,
    UnreachableError,
)


class StaticTokenProvider(AccessTokenProvider):
    """Hands out one fixed bearer token, for the configured host only."""

    def __init__(self, token: str, host: str) -> None:
        self._token = token
        self._hosts = AllowedHostsValidator([host])

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] | None = None
    ) -> str:
        return self._token if self._hosts.is_url_host_valid(uri) else ""

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._hosts


def graph_scope(base_url: str) -> str:
    """The app-only scope for the Graph host (``https://graph.microsoft.com/.default``)."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/.default"


def open_credential(config: MicrosoftSignIn, *, sync: bool = False) -> Any | None:
    """The azure-identity credential the config names; None for a static token. The async
    ones (``azure.identity.aio``) for msgraph-sdk's event loop; ``sync`` for a client with no
    loop (the Dataverse connector's ``httpx.Client``)."""
    if config.token is not None:
        return None
    # azure-identity logs every failed token request as a warning with its traceback; the
    # failure reaches the user once, as our one-line sign-in error, so keep its log quiet.
    logging.getLogger("azure.identity").setLevel(logging.ERROR)
    if sync:
        from azure.identity import (
            CertificateCredential,
            ClientSecretCredential,
            ManagedIdentityCredential,
        )
    else:
        from azure.identity.aio import (  # type: ignore[assignment]
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


def quota_owner(config: MicrosoftSignIn) -> str:
    """Whose request quota a limiter counts (``shared_limiter``'s credential): the tenant and
    the app, the static token or the managed identity. The limiter keeps only a digest."""
    token = config.token.get_secret_value() if config.token is not None else None
    return f"{config.tenant_id}\n{config.client_id or token or 'managed identity'}"


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


def auth_provider(config: MicrosoftAuth, credential: Any | None) -> AuthenticationProvider:
    """The kiota provider that signs every Graph request for ``config.base_url``'s host."""
    host = urlsplit(config.base_url).hostname or ""
    if credential is None:
        assert config.token is not None
        provider = StaticTokenProvider(config.token.get_secret_value(), host)
        return BaseBearerTokenAuthenticationProvider(provider)
    return AzureIdentityAuthenticationProvider(
        credential, scopes=[graph_scope(config.base_url)], allowed_hosts=[host]
    )
