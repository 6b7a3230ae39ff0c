"""Camera credentials encrypted at rest.

The key is derived from the app secret with HKDF-SHA256 (a fixed, domain-specific ``info`` so the
same secret never yields the same key for two purposes) and used with Fernet (AES-128-CBC plus
HMAC-SHA256, authenticated). Rotating ``secret_key`` makes stored credentials unreadable: they
must be entered again, which :func:`decrypt` reports clearly.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from warroom.core.errors import InvalidInputError

_INFO = b"warroom cameras credentials v1"


class CredentialBox:
    def __init__(self, secret: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
            secret.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise InvalidInputError(
                "stored camera credentials cannot be decrypted (was secret_key changed?); "
                "set them again"
            ) from None
