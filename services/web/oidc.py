"""The agency's OpenID Connect provider, as authlib's client for it: the authorization code flow
with PKCE, state and nonce (kept in a signed cookie for the few seconds of a sign-in), the
provider found by its discovery document, its ID tokens checked against its keys."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode

from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App

from config.settings import Settings
from services.auditing.signing import signing_key


class AgencyProvider:
    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.oidc_issuer.rstrip("/")
        public = settings.public_url.rstrip("/")
        self.redirect_url = settings.oidc_redirect_url or f"{public}/ui/oidc/callback"
        self.after_sign_out = f"{public}/ui/signin"
        self.client_id = settings.oidc_client_id
        self.asked = {"acr_values": settings.oidc_acr_values} if settings.oidc_acr_values else {}
        oauth = OAuth()
        oauth.register(
            "agency",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret.get_secret_value(),
            server_metadata_url=f"{self.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": settings.oidc_scopes, "code_challenge_method": "S256"},
        )
        client = oauth.create_client("agency")
        assert isinstance(client, StarletteOAuth2App)
        self.client = client

    async def sign_out_url(self, id_token: str) -> str | None:
        """Where the browser goes to end its session at the provider too (RP-initiated
        logout), coming back to the sign-in page; None if the provider offers no such end."""
        metadata = await self.client.load_server_metadata()
        endpoint = metadata.get("end_session_endpoint")
        if not endpoint:
            return None
        query = urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": self.after_sign_out,
                "client_id": self.client_id,
            }
        )
        return f"{endpoint}?{query}"


def provider_of(settings: Settings) -> AgencyProvider | None:
    return AgencyProvider(settings) if settings.oidc_issuer else None


def browser_state_secret(settings: Settings) -> str:
    """The key that signs the sign-in's state cookie, derived from the audit signing key so an
    installation has one secret less to keep (and a new key simply restarts sign-ins under way)."""
    seed = signing_key(settings).private_bytes_raw()
    derived = hmac.new(seed, b"grantflow browser sign-in state", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(derived).decode()
