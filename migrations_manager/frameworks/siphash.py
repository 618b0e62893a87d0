"""SipHash-1-3, the hash behind Rust's default ``Hasher`` (refinery's checksums use it).

A direct transcription of the published algorithm (Aumasson & Bernstein): 64-bit words, one
compression round per 8-byte block, three finalisation rounds.
"""

from __future__ import annotations

_MASK64 = (1 << 64) - 1


def _rotl(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (64 - bits))) & _MASK64


def _sip_round(v0: int, v1: int, v2: int, v3: int) -> tuple[int, int, int, int]:
    v0, v2 = (v0 + v1) & _MASK64, (v2 + v3) & _MASK64
    v1, v3 = _rotl(v1, 13) ^ v0, _rotl(v3, 16) ^ v2
    v0 = _rotl(v0, 32)
    v2, v0 = (v2 + v1) & _MASK64, (v0 + v3) & _MASK64
    v1, v3 = _rotl(v1, 17) ^ v2, _rotl(v3, 21) ^ v0
    return v0, v1, _rotl(v2, 32), v3


def siphash13(data: bytes, k0: int = 0, k1: int = 0) -> int:
    """SipHash-1-3: one compression round per 8-byte word, three finalisation rounds."""
    v = (
        k0 ^ 0x736F6D6570736575,
        k1 ^ 0x646F72616E646F6D,
        k0 ^ 0x6C7967656E657261,
        k1 ^ 0x7465646279746573,
    )
    tail = len(data) - len(data) % 8
    words = [int.from_bytes(data[i : i + 8], "little") for i in range(0, tail, 8)]
    words.append(((len(data) & 0xFF) << 56) | int.from_bytes(data[tail:], "little"))
    for word in words:
        v0, v1, v2, v3 = _sip_round(v[0], v[1], v[2], v[3] ^ word)
        v = (v0 ^ word, v1, v2, v3)
    v = (v[0], v[1], v[2] ^ 0xFF, v[3])
    for _ in range(3):
        v = _sip_round(*v)
    return v[0] ^ v[1] ^ v[2] ^ v[3]
