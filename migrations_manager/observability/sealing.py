"""Secrets the app must read back (a webhook's URL and signing secret), kept encrypted.

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from Django's ``SECRET_KEY`` by HKDF: the
database alone does not reveal them. A key rotated with ``SECRET_KEY_FALLBACKS`` still opens
what the old key sealed; a key changed without it makes them unreadable (the webhook must then
be given its URL and secret again) rather than silently wrong.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from ..exceptions import ConfigurationError

_CONTEXT = b"truss-migrations-manager sealed secrets v1"


def seal(text: str) -> str:
    return _fernet(str(settings.SECRET_KEY)).encrypt(text.encode("utf-8")).decode("ascii")


def unseal(token: str) -> str:
    """The text ``seal`` sealed.

    Raises:
        ConfigurationError: it was sealed under another ``SECRET_KEY`` (or is not a token).
    """
    try:
        return _keys().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError) as error:
        raise ConfigurationError(
            "A sealed secret cannot be read: it was sealed under another SECRET_KEY. "
            "Give the webhook its URL and secret again."
        ) from error


def _keys() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(str(key)) for key in keys])


def _fernet(secret_key: str) -> Fernet:
    derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CONTEXT)
    return Fernet(base64.urlsafe_b64encode(derive.derive(secret_key.encode("utf-8"))))
