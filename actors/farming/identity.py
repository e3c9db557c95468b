"""A farmer's key pair: an sr25519 key (as the reference's farmers use) kept as a 32-byte seed on disk.

The public key names the farmer: sector ids are derived from its hash, and (later) block headers
are signed with it. The seed file is created once, with owner-only permissions, written to a
temporary name, fsynced and renamed, so a crash never leaves a half-written identity.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import sr25519

SEED_SIZE = 32
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


class IdentityError(Exception):
    """The identity file is missing, unreadable or malformed."""


@dataclass(frozen=True)
class FarmerIdentity:
    seed: bytes

    def __post_init__(self) -> None:
        if len(self.seed) != SEED_SIZE:
            msg = f"an identity seed is {SEED_SIZE} bytes, got {len(self.seed)}"
            raise IdentityError(msg)

    @classmethod
    def generate(cls) -> FarmerIdentity:
        return cls(os.urandom(SEED_SIZE))

    @property
    def public_key(self) -> bytes:
        return bytes(sr25519.pair_from_seed(self.seed)[0])

    def sign(self, message: bytes) -> bytes:
        public, secret = sr25519.pair_from_seed(self.seed)
        return bytes(sr25519.sign((public, secret), message))

    def __repr__(self) -> str:  # never print the seed
        return f"FarmerIdentity(public_key={self.public_key.hex()})"


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is the owner of `public_key` signing `message`; False for any malformed input."""
    if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    return bool(sr25519.verify(signature, message, public_key))


def load_identity(path: Path) -> FarmerIdentity:
    """The identity stored at `path`; IdentityError if it is missing or unusable (nothing is written)."""
    try:
        return FarmerIdentity(path.read_bytes())
    except (OSError, IdentityError) as error:
        msg = f"{path} is not a usable identity file: {error}"
        raise IdentityError(msg) from error


def load_or_create_identity(path: Path) -> FarmerIdentity:
    """The identity stored at `path`, creating it (0600, durably) when the file does not exist."""
    if path.exists():
        return load_identity(path)
    identity = FarmerIdentity.generate()
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(descriptor, identity.seed)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    temporary.replace(path)
    return identity
