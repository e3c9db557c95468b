"""Auto ID test material: AlgorithmIdentifier encodings and the reference note's generated worked example
(an Ed25519 root certificate and its test key; not upstream fixtures)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

ALG_ECDSA_SHA256 = bytes.fromhex("300a06082a8648ce3d040302")
ALG_ECDSA_SHA384 = bytes.fromhex("300a06082a8648ce3d040303")
ALG_ED25519 = bytes.fromhex("300506032b6570")
ALG_ED25519_NULL = bytes.fromhex("300706032b65700500")
ALG_ED448 = bytes.fromhex("300506032b6571")
ALG_RSA_SHA1 = bytes.fromhex("300d06092a864886f70d0101050500")
ALG_RSA_SHA1_NULL = bytes.fromhex("300d06092a864886f70d0101050500")
ALG_RSA_SHA1_OIW = bytes.fromhex("300706052b0e03021d")
ALG_RSA_SHA256 = bytes.fromhex("300b06092a864886f70d01010b")
ALG_RSA_SHA256_NULL = bytes.fromhex("300d06092a864886f70d01010b0500")
ALG_RSA_SHA384 = bytes.fromhex("300d06092a864886f70d01010c0500")
ALG_RSA_SHA512 = bytes.fromhex("300d06092a864886f70d01010d0500")
EXAMPLE_CERTIFICATE = b"""-----BEGIN CERTIFICATE-----
MIIBbzCCASGgAwIBAgIIKl8MPpt9QaYwBQYDK2VwMFMxCzAJBgNVBAYTAlhYMRQw
EgYDVQQKDAtFeGFtcGxlIE9yZzEuMCwGA1UEAwwlYXV0b25vbXlzLXB5IGV4YW1w
bGUgcm9vdCAoZ2VuZXJhdGVkKTAeFw0yNTAxMDEwMDAwMDBaFw0zNTAxMDEwMDAw
MDBaMFMxCzAJBgNVBAYTAlhYMRQwEgYDVQQKDAtFeGFtcGxlIE9yZzEuMCwGA1UE
AwwlYXV0b25vbXlzLXB5IGV4YW1wbGUgcm9vdCAoZ2VuZXJhdGVkKTAqMAUGAytl
cAMhAA7eaMrsiqXmyh4MnZ89Uyv4IiFWq6bC0pYlhF1fzTzBoxMwETAPBgNVHRMB
Af8EBTADAQH/MAUGAytlcANBABUPyHbW3LUYXnXNQ0fQeUbewLAGZHPhpSQ9nF1k
kPf6yudlrYzBuOKGCIpvh6h2k1kcVGJfILp51r1aWl8fswc=
-----END CERTIFICATE-----
"""
EXAMPLE_DEACTIVATE_SIGNATURE = (
    "993f634d59902f72a0bff51ab5f0a6ad2b0b4b9926791fdac8949a04e7dfedc4"
    "bef0a6ac270adf163bb56e9e1c180298719c60a09aa5d785ecac3b909f97dd04"
)
EXAMPLE_ID = "691b83a332aa7a5b776ce2065806407fad6056d836c79f1c874292d445fc0781"
EXAMPLE_KEY = b"""-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIMdtX0VzJPht6BzDXMHsxIgfs4xn+o+qD8BFAjHDiI5S
-----END PRIVATE KEY-----
"""
EXAMPLE_LEAF_ID = "739a5a558b1fbfd3674f0e12ebcd6f1dca027f38c5dd65ba4e35d8e2000cf258"
EXAMPLE_SPKI = "302a300506032b65700321000ede68caec8aa5e6ca1e0c9d9f3d532bf8222156aba6c2d29625845d5fcd3cc1"
RSA_ENCRYPTION = bytes.fromhex("300d06092a864886f70d0101010500")


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


@dataclass
class MemoryStore:
    """A state the Auto ID functions run over: a plain dict (`data`, compared before and after a refusal)."""

    data: dict[bytes, bytes] = field(default_factory=dict)

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def set(self, key: bytes, value: bytes) -> None:
        self.data[key] = value

    def delete(self, key: bytes) -> None:
        del self.data[key]
