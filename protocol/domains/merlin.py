"""Merlin transcripts (the `merlin` crate 3.0, STROBE-128 over Keccak-f[1600]) for schnorrkel's VRF.

A Merlin transcript is a STROBE-128 duplex: `Transcript(label)`, `append_message(label, message)` and
`challenge_bytes(label, length)` absorb framed messages and squeeze challenges that bind everything absorbed
before them. Byte for byte this is `merlin_transcripts.MerlinTranscript` (the pure-Python package the tests use as
the reference), only faster.

The Keccak-f[1600] permutation has two backends, proven equal by the tests:
- "python": `keccak_f1600` below, lane-wise on 64-bit ints (about 0.13 ms a permutation);
- "pycryptodome": pycryptodome's C Keccak sponge (`Crypto.Hash.SHAKE128`, capacity 256 bits) driven as a duplex.
  STROBE's `run_f` XORs `pos_begin` at `pos`, 0x04 after it and 0x80 into byte 167 (the last rate byte) before
  permuting, which is exactly Keccak sponge padding with the padding byte 0x04 or 0x00. So absorbing the XOR of
  the STROBE rate bytes since the last permutation as one full 168-byte block advances the sponge's hidden state
  exactly as `run_f` does, and a copy of the sponge finished with that block's first 167 bytes and padding byte
  `diff[167] ^ 0x80` squeezes the new rate bytes that STROBE reads and writes next. pycryptodome has no raw
  permutation and no public setter for the padding byte: this sets `SHAKE128_XOF._padding` on a private copy.
"""

from __future__ import annotations

import struct
from typing import Protocol

from Crypto.Hash import SHAKE128
from Crypto.Hash.SHAKE128 import SHAKE128_XOF

MERLIN_PROTOCOL_LABEL = b"Merlin v1.0"
STROBE_VERSION = b"STROBEv1.0.2"
STROBE_R = 166
"""STROBE-128's rate in bytes: the Keccak rate (168) minus the two bytes run_f pads with."""
KECCAK_STATE_SIZE = 200
KECCAK_RATE = 168
"""Keccak-f[1600] rate for a 256-bit capacity (SHAKE128's, and STROBE-128's R + 2)."""

# STROBE operation flags (strobe-rs `OpFlags`): I = inbound, A = application, C = cipher, M = meta.
_FLAG_I = 1
_FLAG_A = 1 << 1
_FLAG_C = 1 << 2
_FLAG_M = 1 << 4
_META_AD = _FLAG_M | _FLAG_A
_AD = _FLAG_A
_PRF = _FLAG_I | _FLAG_A | _FLAG_C
_STROBE_PAD = 0x04
_STROBE_LAST = 0x80

# ---- Keccak-f[1600] (FIPS 202), lane (x, y) at bytes 8·(x + 5y) little-endian ----

_U64 = (1 << 64) - 1
"""The 64-bit lane mask."""
_ROUND_CONSTANTS = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)  # fmt: skip
_LANES = struct.Struct("<25Q")


def keccak_f1600(state: bytes | bytearray) -> bytes:
    """Keccak-f[1600] of a 200-byte state: 24 rounds of theta, rho and pi, chi, iota, unrolled over the 25 lanes
    held in locals `aXY` (rho offsets and the pi placement B[y][2x+3y] = rot(A[x][y]) are written out)."""
    a00, a10, a20, a30, a40, a01, a11, a21, a31, a41, a02, a12, a22, a32, a42, a03, a13, a23, a33, a43, a04, a14, a24, a34, a44 = _LANES.unpack(state)  # fmt: skip
    for round_constant in _ROUND_CONSTANTS:
        c0 = a00 ^ a01 ^ a02 ^ a03 ^ a04
        c1 = a10 ^ a11 ^ a12 ^ a13 ^ a14
        c2 = a20 ^ a21 ^ a22 ^ a23 ^ a24
        c3 = a30 ^ a31 ^ a32 ^ a33 ^ a34
        c4 = a40 ^ a41 ^ a42 ^ a43 ^ a44
        d0 = c4 ^ (((c1 << 1) | (c1 >> 63)) & _U64)
        d1 = c0 ^ (((c2 << 1) | (c2 >> 63)) & _U64)
        d2 = c1 ^ (((c3 << 1) | (c3 >> 63)) & _U64)
        d3 = c2 ^ (((c4 << 1) | (c4 >> 63)) & _U64)
        d4 = c3 ^ (((c0 << 1) | (c0 >> 63)) & _U64)
        b00 = a00 ^ d0
        t = a01 ^ d0
        b13 = ((t << 36) | (t >> 28)) & _U64
        t = a02 ^ d0
        b21 = ((t << 3) | (t >> 61)) & _U64
        t = a03 ^ d0
        b34 = ((t << 41) | (t >> 23)) & _U64
        t = a04 ^ d0
        b42 = ((t << 18) | (t >> 46)) & _U64
        t = a10 ^ d1
        b02 = ((t << 1) | (t >> 63)) & _U64
        t = a11 ^ d1
        b10 = ((t << 44) | (t >> 20)) & _U64
        t = a12 ^ d1
        b23 = ((t << 10) | (t >> 54)) & _U64
        t = a13 ^ d1
        b31 = ((t << 45) | (t >> 19)) & _U64
        t = a14 ^ d1
        b44 = ((t << 2) | (t >> 62)) & _U64
        t = a20 ^ d2
        b04 = ((t << 62) | (t >> 2)) & _U64
        t = a21 ^ d2
        b12 = ((t << 6) | (t >> 58)) & _U64
        t = a22 ^ d2
        b20 = ((t << 43) | (t >> 21)) & _U64
        t = a23 ^ d2
        b33 = ((t << 15) | (t >> 49)) & _U64
        t = a24 ^ d2
        b41 = ((t << 61) | (t >> 3)) & _U64
        t = a30 ^ d3
        b01 = ((t << 28) | (t >> 36)) & _U64
        t = a31 ^ d3
        b14 = ((t << 55) | (t >> 9)) & _U64
        t = a32 ^ d3
        b22 = ((t << 25) | (t >> 39)) & _U64
        t = a33 ^ d3
        b30 = ((t << 21) | (t >> 43)) & _U64
        t = a34 ^ d3
        b43 = ((t << 56) | (t >> 8)) & _U64
        t = a40 ^ d4
        b03 = ((t << 27) | (t >> 37)) & _U64
        t = a41 ^ d4
        b11 = ((t << 20) | (t >> 44)) & _U64
        t = a42 ^ d4
        b24 = ((t << 39) | (t >> 25)) & _U64
        t = a43 ^ d4
        b32 = ((t << 8) | (t >> 56)) & _U64
        t = a44 ^ d4
        b40 = ((t << 14) | (t >> 50)) & _U64
        a00 = b00 ^ ((~b10) & b20)
        a10 = b10 ^ ((~b20) & b30)
        a20 = b20 ^ ((~b30) & b40)
        a30 = b30 ^ ((~b40) & b00)
        a40 = b40 ^ ((~b00) & b10)
        a01 = b01 ^ ((~b11) & b21)
        a11 = b11 ^ ((~b21) & b31)
        a21 = b21 ^ ((~b31) & b41)
        a31 = b31 ^ ((~b41) & b01)
        a41 = b41 ^ ((~b01) & b11)
        a02 = b02 ^ ((~b12) & b22)
        a12 = b12 ^ ((~b22) & b32)
        a22 = b22 ^ ((~b32) & b42)
        a32 = b32 ^ ((~b42) & b02)
        a42 = b42 ^ ((~b02) & b12)
        a03 = b03 ^ ((~b13) & b23)
        a13 = b13 ^ ((~b23) & b33)
        a23 = b23 ^ ((~b33) & b43)
        a33 = b33 ^ ((~b43) & b03)
        a43 = b43 ^ ((~b03) & b13)
        a04 = b04 ^ ((~b14) & b24)
        a14 = b14 ^ ((~b24) & b34)
        a24 = b24 ^ ((~b34) & b44)
        a34 = b34 ^ ((~b44) & b04)
        a44 = b44 ^ ((~b04) & b14)
        a00 ^= round_constant
    return _LANES.pack(a00, a10, a20, a30, a40, a01, a11, a21, a31, a41, a02, a12, a22, a32, a42, a03, a13, a23, a33, a43, a04, a14, a24, a34, a44)  # fmt: skip


# ---- the permutation backends: a 168-byte rate view that STROBE reads and writes, and `permute` ----


class _Duplex(Protocol):
    """A Keccak-f[1600] state as STROBE uses it: `rate` holds at least the first 168 state bytes."""

    rate: bytearray

    def permute(self) -> None: ...

    def copy(self) -> _Duplex: ...


class _PythonDuplex:
    """The whole 200-byte state in a bytearray, permuted by `keccak_f1600`."""

    __slots__ = ("rate",)

    def __init__(self, state: bytearray) -> None:
        self.rate = state

    def permute(self) -> None:
        self.rate[:] = keccak_f1600(self.rate)

    def copy(self) -> _PythonDuplex:
        return _PythonDuplex(bytearray(self.rate))


class _SpongeDuplex:
    """The rate bytes in a bytearray, the capacity hidden in a pycryptodome SHAKE128 sponge (module docstring).

    `absorbed` is the rate as it was right after the last permutation, so `rate XOR absorbed` is what STROBE
    has XORed in since; the sponge (in its absorbing phase, buffer empty) holds the whole state of that moment."""

    __slots__ = ("absorbed", "rate", "sponge")

    def __init__(self, sponge: SHAKE128_XOF, rate: bytearray, absorbed: bytes) -> None:
        self.sponge = sponge
        self.rate = rate
        self.absorbed = absorbed

    @classmethod
    def start(cls) -> _SpongeDuplex:
        """The duplex in STROBE-128's initial state: the sponge absorbs the domain block as is (no padding), and
        the rate bytes come from the precomputed state (a sponge finish could not produce them: that block has
        no run_f padding)."""
        initial_rate = _STROBE_INITIAL_STATE[:KECCAK_RATE]
        return cls(SHAKE128.new(_STROBE_DOMAIN_BLOCK[:KECCAK_RATE]), bytearray(initial_rate), initial_rate)

    def permute(self) -> None:
        difference = (int.from_bytes(self.rate, "little") ^ int.from_bytes(self.absorbed, "little")).to_bytes(
            KECCAK_RATE, "little"
        )
        # STROBE's run_f always sets the top bit of byte 167 (the sponge's own pad10*1 end bit) and nothing else
        # touches that byte; what is left of it is the padding byte the sponge writes there.
        padding = difference[KECCAK_RATE - 1] ^ _STROBE_LAST
        if padding >= _STROBE_LAST:
            msg = "STROBE state lost its run_f padding bit"
            raise RuntimeError(msg)
        reader = self.sponge.copy()
        reader.update(difference[: KECCAK_RATE - 1])
        setattr(reader, "_padding", padding)  # noqa: B010 - a private attribute (see the module docstring)
        self.absorbed = reader.read(KECCAK_RATE)
        self.rate[:] = self.absorbed
        self.sponge.update(difference)

    def copy(self) -> _SpongeDuplex:
        return _SpongeDuplex(self.sponge.copy(), bytearray(self.rate), self.absorbed)


BACKENDS = ("pycryptodome", "python")
DEFAULT_BACKEND = BACKENDS[0]
"""The backend transcripts use unless told otherwise: the fastest available."""


_STROBE_DOMAIN_BLOCK = (bytes([1, STROBE_R + 2, 1, 0, 1, 96]) + STROBE_VERSION).ljust(KECCAK_STATE_SIZE, b"\0")
"""strobe-rs `Strobe::new`: the STROBE-128 parameters and version string, the rest of the state zero."""
_STROBE_INITIAL_STATE = keccak_f1600(_STROBE_DOMAIN_BLOCK)
"""The state every STROBE-128 instance starts from."""


def _start_duplex(backend: str) -> _Duplex:
    """A duplex on `backend` in STROBE-128's initial state."""
    if backend == "python":
        return _PythonDuplex(bytearray(_STROBE_INITIAL_STATE))
    if backend == "pycryptodome":
        return _SpongeDuplex.start()
    msg = f"unknown Keccak backend {backend!r}; available: {BACKENDS}"
    raise ValueError(msg)


# ---- STROBE-128 (strobe-rs 0.8 as merlin uses it: meta-AD, AD and PRF only) ----


class _Strobe128:
    """STROBE-128 state: the duplex plus `pos`, `pos_begin` and the current operation's flags."""

    __slots__ = ("duplex", "flags", "pos", "pos_begin")

    def __init__(self, duplex: _Duplex, pos: int, pos_begin: int, flags: int) -> None:
        self.duplex = duplex
        self.pos = pos
        self.pos_begin = pos_begin
        self.flags = flags

    @classmethod
    def new(cls, protocol_label: bytes, backend: str) -> _Strobe128:
        """strobe-rs `Strobe::new`: the initial state, then meta-AD of the protocol label."""
        strobe = cls(_start_duplex(backend), 0, 0, 0)
        strobe.begin_operation(_META_AD, protocol_label)
        return strobe

    def copy(self) -> _Strobe128:
        return _Strobe128(self.duplex.copy(), self.pos, self.pos_begin, self.flags)

    def run_f(self) -> None:
        """strobe-rs `run_f`: pad with pos_begin, 0x04 and the final 0x80, then permute."""
        rate = self.duplex.rate
        rate[self.pos] ^= self.pos_begin
        rate[self.pos + 1] ^= _STROBE_PAD
        rate[STROBE_R + 1] ^= _STROBE_LAST
        self.duplex.permute()
        self.pos = 0
        self.pos_begin = 0

    def absorb(self, data: bytes) -> None:
        """XOR `data` into the state from `pos`, running F each time the R bytes fill up."""
        rate = self.duplex.rate
        offset = 0
        while offset < len(data):
            start = self.pos
            end = min(STROBE_R, start + len(data) - offset)
            chunk = data[offset : offset + end - start]
            mixed = int.from_bytes(rate[start:end], "little") ^ int.from_bytes(chunk, "little")
            rate[start:end] = mixed.to_bytes(end - start, "little")
            offset += end - start
            self.pos = end
            if end == STROBE_R:
                self.run_f()
                rate = self.duplex.rate

    def squeeze(self, length: int) -> bytes:
        """Read `length` bytes from `pos` and zero them, running F each time the R bytes are used up."""
        output = bytearray()
        while len(output) < length:
            rate = self.duplex.rate
            start = self.pos
            end = min(STROBE_R, start + length - len(output))
            output += rate[start:end]
            rate[start:end] = bytes(end - start)
            self.pos = end
            if end == STROBE_R:
                self.run_f()
        return bytes(output)

    def begin_operation(self, flags: int, data: bytes = b"") -> None:
        """strobe-rs `begin_op` for a new (not `more`) operation, then absorb `data` (an AD or meta-AD body, and
        for meta-AD the `more` continuation with the length too): absorb the old pos_begin, the flags and the data
        in one pass (run_f resets pos_begin on the way exactly as separate calls would); a cipher operation (PRF)
        starts on a fresh block."""
        old_begin = self.pos_begin
        self.pos_begin = self.pos + 1
        self.flags = flags
        self.absorb(bytes((old_begin, flags)) + data)
        if flags & _FLAG_C != 0 and self.pos != 0:
            self.run_f()


# ---- Merlin (merlin 3.0 `Transcript`) ----


class Transcript:
    """A Merlin transcript: `Transcript::new(label)` = STROBE-128("Merlin v1.0") then append_message(b"dom-sep",
    label). Mutable; `copy()` is merlin's `clone()`."""

    __slots__ = ("_strobe",)

    def __init__(self, label: bytes, backend: str = DEFAULT_BACKEND) -> None:
        self._strobe = _Strobe128.new(MERLIN_PROTOCOL_LABEL, backend)
        self.append_message(b"dom-sep", label)

    def append_message(self, label: bytes, message: bytes) -> None:
        """merlin `append_message`: meta-AD(label), meta-AD(u32 LE length, more), AD(message)."""
        strobe = self._strobe
        strobe.begin_operation(_META_AD, bytes(label) + len(message).to_bytes(4, "little"))
        strobe.begin_operation(_AD, bytes(message))

    def challenge_bytes(self, label: bytes, length: int) -> bytes:
        """merlin `challenge_bytes`: meta-AD(label), meta-AD(u32 LE length, more), PRF(length)."""
        strobe = self._strobe
        strobe.begin_operation(_META_AD, bytes(label) + length.to_bytes(4, "little"))
        strobe.begin_operation(_PRF)
        return strobe.squeeze(length)

    def copy(self) -> Transcript:
        """An independent transcript in the same state (merlin `Transcript::clone`)."""
        clone = object.__new__(Transcript)
        clone._strobe = self._strobe.copy()
        return clone
