"""A DSN peer's key pair: ed25519 (as libp2p peers use), kept on disk as its 32-byte private seed.

The public key gives the libp2p PeerId (protocol.dsn.piece_cache.compute_peer_id), and the PeerId decides
which pieces the peer caches, so it must survive restarts. The seed file is created once with
owner-only permissions, written to a temporary name, fsynced and renamed (then the directory is
fsynced), so a crash never leaves a half-written identity.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from autonomys.actors.errors import CorruptStore, describe_error
from autonomys.actors.storage import fsync_directory
from autonomys.protocol.dsn.piece_cache import compute_peer_id

SEED_SIZE = 32
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64


class PeerIdentityError(Exception):
    """The peer key file is missing, unreadable or malformed, or a seed has the wrong size."""


class CorruptPeerKey(CorruptStore, PeerIdentityError):
    """A peer key file that exists but cannot be used (unreadable, wrong size); it is left as it is."""


class PeerIdentity:
    """An ed25519 key pair built from a 32-byte seed."""

    def __init__(self, seed: bytes) -> None:
        if not isinstance(seed, bytes) or len(seed) != SEED_SIZE:
            size = len(seed) if isinstance(seed, bytes) else type(seed).__name__
            msg = f"a peer key seed is {SEED_SIZE} bytes, got {size}"
            raise PeerIdentityError(msg)
        self._private_key = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key = self._private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.peer_id = compute_peer_id(self.public_key)

    @classmethod
    def generate(cls) -> PeerIdentity:
        return cls(os.urandom(SEED_SIZE))

    @classmethod
    def load(cls, path: str | Path) -> PeerIdentity:
        """The identity stored at `path`; PeerIdentityError if it is missing, CorruptPeerKey if it is unusable
        (nothing is written either way)."""
        try:
            return cls(Path(path).read_bytes())
        except FileNotFoundError as error:
            msg = f"{path} is not a usable peer key file: {error}"
            raise PeerIdentityError(msg) from error
        except (OSError, PeerIdentityError) as error:
            fix = (
                f"restore {path} from a backup to keep this peer's id; or delete it, and the peer starts with a new "
                "key and peer id: it then wants other pieces, evicts the ones it holds and fetches the new ones"
            )
            raise CorruptPeerKey(
                "peer key", path, f"not a usable peer key file: {describe_error(error)}", fix
            ) from error

    @classmethod
    def load_or_create(cls, path: str | Path) -> PeerIdentity:
        """The identity stored at `path`, creating it (mode 0600, durably) when the file does not exist."""
        file = Path(path)
        if file.exists():
            return cls.load(file)
        seed = os.urandom(SEED_SIZE)
        identity = cls(seed)
        write_seed_durably(file, seed)
        return identity

    def sign(self, message: bytes) -> bytes:
        """The 64-byte ed25519 signature of `message`."""
        return self._private_key.sign(bytes(message))

    def __repr__(self) -> str:  # never print the seed
        return f"PeerIdentity(peer_id={self.peer_id.hex()})"


def write_seed_durably(file: Path, seed: bytes) -> None:
    """Write `seed` to `file` with mode 0600: temporary file, fsync, rename, fsync of the directory."""
    file.parent.mkdir(parents=True, exist_ok=True)
    temporary = file.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # an old temporary file keeps its mode through O_CREAT
        os.write(descriptor, seed)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    temporary.replace(file)
    fsync_directory(file.parent)


def verify_peer_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when `signature` is the ed25519 signature of `message` by `public_key`; False for malformed input."""
    if len(public_key) != PUBLIC_KEY_SIZE or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes(public_key)).verify(bytes(signature), bytes(message))
    except (InvalidSignature, ValueError):
        return False
    return True
