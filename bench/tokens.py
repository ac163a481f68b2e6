"""A throwaway RS256 key standing in for the Bot Framework's signing key.

The fake OpenID server (``bench.fakes``) publishes the public half as a JWKS entry
endorsed for ``msteams``; the load generator signs channel tokens with the private
half exactly as the Bot Connector does (iss https://api.botframework.com, aud = the
bot's app id, serviceurl = the activity's serviceUrl).
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
KID = "bench-key-1"
APP_ID = "00000000-bench-4000-8000-000000000001"
APP_PASSWORD = "bench-app-password-not-a-secret"
TENANT_ID = "00000000-bench-4000-8000-0000000000te"


def new_private_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def write_key(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(new_private_key_pem())
    return path


def jwks(pem: bytes) -> dict[str, Any]:
    private = serialization.load_pem_private_key(pem, password=None)
    public_jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))  # type: ignore[arg-type]
    public_jwk.update({"kid": KID, "use": "sig", "alg": "RS256", "endorsements": ["msteams"]})
    return {"keys": [public_jwk]}


def channel_token(pem: bytes, *, service_url: str, app_id: str = APP_ID, lifetime: int = 3600) -> str:
    """A token as the Bot Connector sends it to a bot (``Authorization: Bearer ...``)."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": app_id,
        "serviceurl": service_url,
        "nbf": now - 5,
        "iat": now - 5,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": KID})
