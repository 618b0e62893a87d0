"""The signature of a webhook delivery, and how a receiver checks it.

``X-Truss-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``: the
timestamp is signed with the body, so a receiver that refuses old timestamps (five minutes, say)
refuses a replayed delivery too.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Truss-Signature"
TOLERANCE = 300  # seconds a receiver accepts between the signature's time and its own


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value for ``body`` signed with ``secret`` at ``timestamp`` (now)."""
    when = int(time.time()) if timestamp is None else timestamp
    return f"t={when},v1={_mac(secret, when, body)}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None) -> bool:
    """Whether ``header`` signs ``body`` with ``secret``, within ``TOLERANCE`` of ``now``."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        when = int(parts["t"])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - when) > TOLERANCE:
        return False
    given = parts.get("v1", "").encode("utf-8", "replace")
    return hmac.compare_digest(given, _mac(secret, when, body).encode("ascii"))


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
