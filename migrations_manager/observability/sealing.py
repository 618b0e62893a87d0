"""Secrets the app must read back (a webhook's URL and signing secret), kept encrypted.

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from Django's ``SECRET_KEY`` by HKDF: the
database alone does not reveal them, and a changed ``SECRET_KEY`` makes them unreadable (the
webhook must then be given its URL and secret again) rather than silently wrong.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from ..exceptions import ConfigurationError

_CONTEXT = b"truss-migrations-manager sealed secrets v1"


def seal(text: str) -> str:
    return _fernet().encrypt(text.encode("utf-8")).decode("ascii")


def unseal(token: str) -> str:
    """The text ``seal`` sealed.

    Raises:
        ConfigurationError: it was sealed under another ``SECRET_KEY`` (or is not a token).
    """
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as error:
        raise ConfigurationError(
            "A sealed secret cannot be read: it was sealed under another SECRET_KEY. "
            "Give the webhook its URL and secret again."
        ) from error


def _fernet() -> Fernet:
    derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CONTEXT)
    key = derive.derive(str(settings.SECRET_KEY).encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))
