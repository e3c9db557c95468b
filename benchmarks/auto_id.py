"""Auto ID: registrations per second through the Auto ID domain, and the verification of a depth-3 agent identity.

    python benchmarks/auto_id.py [--registrations 400] [--repeats 3]

  registrations  --registrations self-signed root certificates of each key kind (Ed25519, ECDSA P-256, RSA-2048),
                 each relayed in a signed domain transaction by its own account (so the block's shuffle keeps every
                 one), executed by execution.derive_domain_block over an auto-id genesis (classification with the
                 relayers' sr25519 checks, the shuffle, execution: fee, DER decode, the certificate's signature,
                 the registry writes, a state root after every extrinsic), against the floor: the bare signature
                 check of the same certificates (protocol.identity.signatures.verify_signature over each TBS).
                 Medians of --repeats runs.
  chain          an agent three deep (root → agent → sub-agent, Ed25519) registered in a domain state:
                 identity_status (the registry walk: each record, its validity, its issuer's revocation list) and a
                 full verification (the walk plus every certificate's signature against its issuer's key), against
                 the floor of the three bare signature checks. Medians of 2,000 calls.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time
from collections.abc import Callable

import sr25519

from autonomys.actors.identity.certificates import (
    PrivateKey,
    Validity,
    certificate_der,
    issue_certificate,
    new_key,
)
from autonomys.protocol.domains.bundles import Bundle, BundleHeader, ProofOfElection, Weight, seal
from autonomys.protocol.domains.execution import ParentBlock, derive_domain_block, encode_opaque
from autonomys.protocol.domains.receipts import genesis_receipt
from autonomys.protocol.domains.registry import compute_domain_genesis
from autonomys.protocol.domains.runtime import DomainBlockContext, runtime_named
from autonomys.protocol.domains.runtime_auto_id import OUTCOME_EVENT, AutoIdPalletCall
from autonomys.protocol.domains.runtime_balances import sign_call
from autonomys.protocol.domains.substrate_trie import ordered_trie_root
from autonomys.protocol.identity.auto_id import derive_auto_id, get_auto_id, identity_status, registration_of
from autonomys.protocol.identity.auto_id_types import RegisterAutoIdCall
from autonomys.protocol.identity.der import tbs_of_certificate
from autonomys.protocol.identity.signatures import verify_signature

AI3 = 10**18
DOMAIN = 2
NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
NOW_MS = int(NOW.timestamp() * 1000)
RUNTIME = runtime_named("auto-id")


def certificates(kind: str, count: int) -> list[bytes]:
    keys = [new_key(kind) for _ in range(min(count, 8))]  # RSA generation is slow: reuse a few keys
    validity = Validity.days_from(NOW - datetime.timedelta(days=1), 30)
    return [certificate_der(issue_certificate(f"{kind}-{index}", keys[index % len(keys)], validity))
            for index in range(count)]  # fmt: skip


def floor_seconds(ders: list[bytes]) -> float:
    parts = [tbs_of_certificate(der) for der in ders]
    from autonomys.protocol.identity.der import decode_tbs_certificate

    keys = [decode_tbs_certificate(tbs).subject_public_key_info for tbs, _, _ in parts]
    start = time.perf_counter()
    for (tbs, algorithm, signature), key in zip(parts, keys, strict=True):
        assert verify_signature(key, algorithm, tbs, signature)
    return time.perf_counter() - start


def domain_block_seconds(ders: list[bytes]) -> float:
    relayers = [sr25519.pair_from_seed(index.to_bytes(4, "little") * 8) for index in range(len(ders))]
    genesis = compute_domain_genesis("auto-id", DOMAIN, [(relayer[0], 10 * AI3) for relayer in relayers])
    extrinsics = [
        sign_call(DOMAIN, relayer, 0, AutoIdPalletCall(RegisterAutoIdCall(registration_of(der)))).to_bytes()
        for relayer, der in zip(relayers, ders, strict=True)
    ]
    encoded = tuple(encode_opaque(extrinsic) for extrinsic in extrinsics)
    weight = Weight(sum(RUNTIME.weight(extrinsic).ref_time for extrinsic in extrinsics), sum(map(len, extrinsics)))
    header = BundleHeader(ProofOfElection(DOMAIN, 1, bytes(16), bytes(96), 0), genesis_receipt(bytes(32)), weight,
                          ordered_trie_root(encoded))  # fmt: skip
    bundle = Bundle(seal(header, sr25519.pair_from_seed(bytes(32))), encoded)
    receipt = genesis_receipt(genesis.root)
    parent = ParentBlock(receipt.domain_block_hash, genesis.root, receipt.hash())
    context = DomainBlockContext(DOMAIN, 1, bytes(32), 1, NOW_MS, 1, parent.header_hash)
    start = time.perf_counter()
    block = derive_domain_block(RUNTIME, dict(genesis.created), parent, context, [bundle], bytes(16), 2**256 - 1)
    elapsed = time.perf_counter() - start
    registered = sum(1 for outcome in block.outcomes if outcome[32] == OUTCOME_EVENT)
    assert registered == len(ders), f"{registered} of {len(ders)} registered"
    return elapsed


def median_of(repeats: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(repeats))


def registrations(count: int, repeats: int) -> None:
    print("| key | through the domain | bare signature checks (floor) | ratio |")
    print("|---|---|---|---|")
    for kind in ("ed25519", "p256", "rsa"):
        ders = certificates(kind, count)
        domain = median_of(repeats, lambda ders=ders: domain_block_seconds(ders))
        floor = median_of(repeats, lambda ders=ders: floor_seconds(ders))
        print(f"| {kind} | {count / domain:,.0f} registrations/s | {count / floor:,.0f} checks/s | "
              f"{floor / domain:.2f} |")  # fmt: skip


def chain_of_three() -> tuple[object, list[tuple[bytes, bytes | None, PrivateKey]], bytes]:
    """A domain state with root → agent → sub-agent registered; the certificates and the sub-agent's id."""
    validity = Validity.days_from(NOW - datetime.timedelta(days=1), 30)
    keys = [new_key("ed25519") for _ in range(3)]
    from cryptography import x509

    state = RUNTIME.open_state(*_genesis_nodes())
    chain: list[tuple[bytes, bytes | None, PrivateKey]] = []
    issuer: tuple[x509.Certificate, PrivateKey] | None = None
    issuer_id: bytes | None = None
    from autonomys.protocol.identity.auto_id import register_auto_id

    for depth, key in enumerate(keys):
        certificate = issue_certificate(f"level-{depth}", key, validity, issuer=issuer)
        der = certificate_der(certificate)
        register_auto_id(state, registration_of(der, issuer_id), NOW_MS)
        chain.append((der, issuer_id, key))
        issuer, issuer_id = (certificate, key), derive_auto_id(der, issuer_id)
    assert issuer_id is not None
    return state, chain, issuer_id


def _genesis_nodes() -> tuple[dict[bytes, bytes], bytes]:
    genesis = compute_domain_genesis("auto-id", DOMAIN, [])
    return dict(genesis.created), genesis.root


def verify_chain(state: object, leaf: bytes, chain: list[tuple[bytes, bytes | None, PrivateKey]]) -> bool:
    """The registry walk, then every certificate's signature against its issuer's key (the root's own)."""
    if not identity_status(state, leaf, NOW_MS).valid:  # type: ignore[arg-type]
        return False
    previous_key: bytes | None = None
    for der, issuer_id, _ in chain:
        tbs, algorithm, signature = tbs_of_certificate(der)
        record = get_auto_id(state, derive_auto_id(der, issuer_id))  # type: ignore[arg-type]
        assert record is not None
        key = record.subject_public_key_info if previous_key is None else previous_key
        if not verify_signature(key, algorithm, tbs, signature):
            return False
        previous_key = record.subject_public_key_info
    return True


def chain_verification(samples: int) -> None:
    state, chain, leaf = chain_of_three()
    parts = [tbs_of_certificate(der) for der, _, _ in chain]
    records = [get_auto_id(state, derive_auto_id(der, issuer)) for der, issuer, _ in chain]  # type: ignore[arg-type]
    issuers = [records[0].subject_public_key_info] + [record.subject_public_key_info for record in records[:-1]]  # type: ignore[union-attr]

    def timed(call: Callable[[], object]) -> float:
        values = []
        for _ in range(samples):
            start = time.perf_counter()
            call()
            values.append(time.perf_counter() - start)
        return statistics.median(values)

    status = timed(lambda: identity_status(state, leaf, NOW_MS))  # type: ignore[arg-type]
    full = timed(lambda: verify_chain(state, leaf, chain))
    floor = timed(lambda: [verify_signature(key, alg, tbs, sig) for (tbs, alg, sig), key in zip(parts, issuers, strict=True)])
    print("| depth-3 agent (Ed25519) | time | floor (3 bare signature checks) | ratio |")
    print("|---|---|---|---|")
    print(f"| identity_status (registry walk) | {status * 1e6:,.0f} µs | {floor * 1e6:,.0f} µs | {status / floor:.2f} |")
    print(f"| full chain verification | {full * 1e6:,.0f} µs | {floor * 1e6:,.0f} µs | {full / floor:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=2000)
    arguments = parser.parse_args()
    registrations(arguments.registrations, arguments.repeats)
    print()
    chain_verification(arguments.samples)


if __name__ == "__main__":
    main()
