"""The `ai-directory` pallet of the Auto ID domain (PROJECT-DEFINED: the reference has no such pallet; index 42,
after the identity pallet's 41): the open AI directory (protocol.ai.directory) as calls a relayer submits and
pays for, each authorised by the publisher's Auto ID signature it carries.

    0 publish(DirectoryEntry)                          directory.put_entry

Call bytes `0x2a | call index | args`, as protocol.domains.runtime_auto_id routes them. The runtime records each
call's outcome after the transaction hash (runtime_auto_id's outcome layout):

    0x2a | call index u8 | version u32 | entry id [32]   a published entry (kind = the pallet index, so it cannot
                                                        collide with another pallet's outcome kind)
    0x01 | 0xfe | reason (utf-8)                        a refused call (OUTCOME_ERROR, DIRECTORY_ERROR_INDEX)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from autonomys.protocol.ai.directory import DirectoryEntry, DirectoryError, put_entry
from autonomys.protocol.codec import Reader, decode_exactly, encode_u8, encode_u32
from autonomys.protocol.domains.runtime import DomainState
from autonomys.protocol.errors import DecodeError

DIRECTORY_PALLET_INDEX: Final = 42
OUTCOME_DIRECTORY: Final = DIRECTORY_PALLET_INDEX
OUTCOME_ERROR: Final = 1
"""runtime_auto_id.OUTCOME_ERROR (restated: that module imports this one)."""
DIRECTORY_ERROR_INDEX: Final = 254
"""The error index an outcome carries for a directory-pallet error (its reason names it)."""


class DirectoryCallIndex(IntEnum):
    PUBLISH = 0


@dataclass(frozen=True, slots=True)
class Publish:
    entry: DirectoryEntry


DirectoryCall = Publish


def encode_directory_call(call: DirectoryCall) -> bytes:
    """call index ‖ args (DirectoryPalletCall prefixes the pallet index)."""
    return encode_u8(DirectoryCallIndex.PUBLISH) + call.entry.to_bytes()


def read_directory_call(reader: Reader) -> DirectoryCall:
    index = reader.read_u8()
    if index == DirectoryCallIndex.PUBLISH:
        return Publish(DirectoryEntry.read(reader))
    raise DecodeError(f"directory call: unknown index {index}")


def decode_directory_call(data: bytes) -> DirectoryCall:
    return decode_exactly(data, "directory call", read_directory_call)


@dataclass(frozen=True, slots=True)
class DirectoryPalletCall:
    """A directory-pallet call as a transaction's call: `0x2a | call index | args`."""

    call: DirectoryCall

    def to_bytes(self) -> bytes:
        return encode_u8(DIRECTORY_PALLET_INDEX) + encode_directory_call(self.call)


def read_directory_pallet_call(reader: Reader) -> DirectoryPalletCall:
    return DirectoryPalletCall(read_directory_call(reader))


def dispatch_directory(store: DomainState, call: DirectoryCall, now_ms: int) -> bytes:
    """Apply one directory call; its success outcome (after the transaction hash). DirectoryError, nothing
    written, when refused."""
    put_entry(store, call.entry, now_ms)
    return (
        encode_u8(OUTCOME_DIRECTORY) + encode_u8(DirectoryCallIndex.PUBLISH) + encode_u32(call.entry.version)
        + call.entry.entry_id()
    )  # fmt: skip


def directory_outcome(store: DomainState, call: DirectoryPalletCall, now_ms: int) -> bytes:
    """The outcome the runtime records (after the transaction hash) for a directory call: its success, or its
    refusal by reason."""
    try:
        return dispatch_directory(store, call.call, now_ms)
    except DirectoryError as error:
        return encode_u8(OUTCOME_ERROR) + encode_u8(DIRECTORY_ERROR_INDEX) + error.reason.encode()


@dataclass(frozen=True, slots=True)
class PublishOutcome:
    """A decoded directory outcome: the published version and entry id, or the refusal's reason."""

    version: int | None
    entry_id: bytes | None
    reason: str | None


def parse_outcome(outcome: bytes) -> PublishOutcome:
    """Read a directory outcome as the runtime recorded it (transaction hash first)."""
    body = outcome[32:]
    if len(body) >= 2 and body[0] == OUTCOME_ERROR:
        return PublishOutcome(None, None, body[2:].decode(errors="replace"))
    if len(body) == 2 + 4 + 32 and body[0] == OUTCOME_DIRECTORY:
        return PublishOutcome(int.from_bytes(body[2:6], "little"), body[6:], None)
    raise DecodeError(f"not a directory outcome: {body.hex()[:80]}")
