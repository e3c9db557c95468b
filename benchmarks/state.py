"""Authenticated state at scale: a block of 1,000 signed transfers imported over a genesis of 10,000 and of
1,000,000 accounts.

    python benchmarks/state.py [--sizes 10000 100000 1000000] [--transfers 1000] [--blocks 3] [--work-dir DIR]

Per size, two fresh processes (so neither inherits the other's memory):
  prepare  builds the genesis (N endowed accounts; the first `transfers` have sr25519 keys and send) into a RocksDB
           node store, plots a MINIMAL farm and authors `blocks` blocks of `transfers` transfers each from a copy of
           that store (each transfer from a distinct sender to a random account of all N);
  import   opens a fresh copy of the genesis store, as a follower node does, and imports those blocks through
           Node.import_block (decode, solution, seal, every signature, the state transition and its root, the store
           batch, fork choice). The first block warms the caches and is not counted.

Printed per size: the import time per block; its breakdown per transfer (signature check, state reads, buffered
writes, the root, the store batch with its trie nodes, the rest of the import); the raw floor: one synced
RocksDB batch of as many keys of the same sizes as the block wrote, into a fresh database, measured in the same
run; the state work (reads, writes, root, store batch: no signatures) against that floor; and the node's VmRSS
after the import, with the caches in it and their bounds (each is bounded whatever the number of accounts: the
node cache of trie nodes, RocksDB's block cache holding the partitioned index and filter blocks too, and its
memtables; the rest is the process and one block's working set). The last line is `growth 1M/10k = R`: import time per block at
the largest size over that at the smallest.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import blake3
import sr25519
from bench_common import timed
from devnet_import import PARAMS, minimal_history, output_of, plot_farm

from autonomys.actors.consensus.node import ImportStatus, Node
from autonomys.actors.consensus.node_store import NodeStore
from autonomys.actors.farming.farm import Farm
from autonomys.actors.farming.farmer_core import FarmerCore
from autonomys.actors.kzg_setup import load_kzg, setup_for
from autonomys.actors.state_store import DEFAULT_CACHE_BYTES
from autonomys.actors.storage import BLOCK_CACHE_BYTES, RocksKVStore
from autonomys.protocol.consensus import chain_transactions
from autonomys.protocol.consensus.chain_blocks import Transfer, sign_transaction
from autonomys.protocol.consensus.chain_state import ChainState, genesis_header_hash, genesis_state
from autonomys.protocol.constants import U64_MAX
from autonomys.protocol.state import trie

ENDOWMENT = 10**20
SOLUTION_RANGE = U64_MAX // 4
SECTORS = 2


# ---- prepare (one process per size) ----


def sender_pair(index: int) -> tuple[bytes, bytes]:
    """(public key, secret key) of sender `index`: sr25519 from a fixed seed."""
    seed = blake3.blake3(b"state benchmark sender" + index.to_bytes(8, "little")).digest()
    public, secret = sr25519.pair_from_seed(seed)
    return bytes(public), bytes(secret)


def prepare(size: int, transfers: int, blocks: int, directory: Path) -> dict[str, float]:
    setup = setup_for(PARAMS.record_num_chunks)
    kzg = load_kzg(setup)
    history = minimal_history(directory / "history", setup)
    plot_farm(directory / "farm", history, setup, SECTORS)
    senders = [sender_pair(index) for index in range(transfers)]
    generator = random.Random(size)
    accounts = [public for public, _ in senders] + [generator.randbytes(32) for _ in range(size - transfers)]
    built, genesis = timed(lambda: genesis_state(
        PARAMS, endowments=dict.fromkeys(accounts, ENDOWMENT), solution_range=SOLUTION_RANGE,
        pot_slot_iterations=PARAMS.pot_slot_iterations, segment_headers=history.archiver.segment_headers(),
    ))  # fmt: skip
    changes = genesis.changes
    assert changes is not None
    kv = RocksKVStore(directory / "genesis-db", large=True)
    store = NodeStore(kv)
    store.check_format()
    stored, _ = timed(functools.partial(store.state.store_genesis, changes))
    kv._db.flush()  # noqa: SLF001 - the followers' memtables then hold only what they write
    kv.close()
    (directory / "genesis.bin").write_bytes(genesis.to_bytes())
    nodes = len(changes.created)
    genesis_hash = bytes(genesis_header_hash(genesis))
    del genesis, changes  # the author opens the stored genesis, like the follower
    gc.collect()
    shutil.copytree(directory / "genesis-db", directory / "author-db")
    authored, last_slot = author(directory, kzg, senders, accounts, transfers, blocks, genesis_hash)
    (directory / "blocks.json").write_text(json.dumps({"blocks": authored, "last_slot": last_slot}))
    return {"genesis_build": built, "genesis_store": stored, "genesis_nodes": nodes}


def author(
    directory: Path, kzg: object, senders: list[tuple[bytes, bytes]], accounts: list[bytes], transfers: int,
    blocks: int, genesis_hash: bytes,
) -> tuple[list[str], int]:  # fmt: skip
    """Blocks of `transfers` transfers, authored by a node over a copy of the genesis store."""
    generator = random.Random(len(accounts) + 1)
    kv = RocksKVStore(directory / "author-db", large=True)
    farm = Farm.open(directory / "farm")
    genesis = ChainState.from_bytes((directory / "genesis.bin").read_bytes())
    core = FarmerCore(farm, kzg, farm.identity.public_key, "state")  # type: ignore[arg-type]
    node = Node(
        PARAMS, genesis, NodeStore(kv), kzg, signer=lambda key, message: farm.identity.sign(message),  # type: ignore[arg-type]
    )  # fmt: skip
    authored: list[str] = []
    slot = 0
    try:
        for nonce in range(blocks):
            for public, secret in senders:
                call = Transfer(generator.choice(accounts), generator.randrange(1, 10**6))
                node.submit_transaction(sign_transaction(
                    genesis_hash, public, nonce, call, lambda message, p=public, s=secret: sr25519.sign((p, s), message)
                ))  # fmt: skip
            target = node.best_state.number + 1
            while node.best_state.number < target:
                slot += 1
                farming_slot = node.on_proof_of_time(slot, output_of(slot))
                if farming_slot is not None:
                    for sector, candidate in core.audit(farming_slot).ranked()[:1]:
                        solution = core.prove(farming_slot, sector, candidate)
                        if solution is not None and not solution.is_vote:
                            node.on_solution(solution)
                for block in node.author_ready_blocks():
                    if len(block.transactions) != transfers:
                        raise SystemExit(f"block {block.header.number} holds {len(block.transactions)} transfers")
                    authored.append(block.to_bytes().hex())
        return authored, slot + PARAMS.block_authoring_delay
    finally:
        farm.close()
        kv.close()


# ---- import (one process per size) ----


class Breakdown:
    """Seconds spent in each step of the state transition, summed (module and class attributes wrapped)."""

    STEPS = ("signature", "reads", "writes", "root", "store")

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(self.STEPS, 0.0)
        self.written_sizes: list[tuple[int, int]] = []

    @contextlib.contextmanager
    def installed(self, store: NodeStore) -> Iterator[Breakdown]:
        targets: list[tuple[object, str, str]] = [
            (chain_transactions, "validate_transaction_signature", "signature"),
            (trie.TrieWriter, "get", "reads"),
            (trie.TrieWriter, "set", "writes"),
            (trie.TrieWriter, "delete", "writes"),
            (trie.TrieWriter, "commit", "root"),
        ]
        originals = [(owner, name, getattr(owner, name)) for owner, name, _ in targets]
        for (owner, name, step), (_, _, original) in zip(targets, originals, strict=True):
            setattr(owner, name, self._timing(original, step))
        write_batch = store.store.write_batch

        def recorded(items, deletes=()):  # noqa: ANN001, ANN202 - the KVStore signature
            self.written_sizes.extend((len(key), len(value)) for key, value in items.items())
            return write_batch(items, deletes)

        put_block = store.put_block
        store.store.write_batch = recorded  # type: ignore[method-assign]
        store.put_block = self._timing(put_block, "store")  # type: ignore[method-assign]
        try:
            yield self
        finally:
            for owner, name, original in originals:
                setattr(owner, name, original)
            store.store.write_batch = write_batch  # type: ignore[method-assign]
            store.put_block = put_block  # type: ignore[method-assign]

    def _timing(self, function: Callable, step: str) -> Callable:
        seconds = self.seconds

        def timed_call(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[step] += time.perf_counter() - started

        return timed_call


def rss_mib() -> float:
    gc.collect()
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmRSS:")).split()[1]) / 1024


ROCKSDB_MEMORY = {
    "memtables": "rocksdb.cur-size-all-mem-tables",
    "table_readers": "rocksdb.estimate-table-readers-mem",
    "block_cache": "rocksdb.block-cache-usage",
}


def rocksdb_memory(kv: RocksKVStore) -> dict[str, float]:
    """MiB RocksDB holds: unflushed writes, index and filter blocks outside the cache, the block cache."""
    database = kv._db  # noqa: SLF001 - a measurement
    return {name: (database.property_int_value(key) or 0) / 2**20 for name, key in ROCKSDB_MEMORY.items()}


def raw_floor(directory: Path, sizes: list[tuple[int, int]]) -> float:
    """One synced batch of keys and values of these sizes into a fresh RocksDB (median of 3)."""
    generator = random.Random(9)
    runs = []
    for attempt in range(3):
        kv = RocksKVStore(directory / f"floor-{attempt}")
        items = {generator.randbytes(key): generator.randbytes(value) for key, value in sizes}
        seconds, _ = timed(lambda kv=kv, items=items: kv.write_batch(items))
        runs.append(seconds)
        kv.close()
    return statistics.median(runs)


def import_blocks(size: int, transfers: int, directory: Path) -> dict[str, float]:
    shutil.rmtree(directory / "node-db", ignore_errors=True)
    shutil.copytree(directory / "genesis-db", directory / "node-db")
    authored = json.loads((directory / "blocks.json").read_text())
    blocks = [bytes.fromhex(block) for block in authored["blocks"]]
    kzg = load_kzg(setup_for(PARAMS.record_num_chunks))
    before = rss_mib()
    kv = RocksKVStore(directory / "node-db", large=True)
    store = NodeStore(kv)
    node = Node(PARAMS, ChainState.from_bytes((directory / "genesis.bin").read_bytes()), store, kzg)
    for slot in range(1, authored["last_slot"] + 1):
        node.on_proof_of_time(slot, output_of(slot))
    totals: list[float] = []
    breakdown = Breakdown()
    for index, block in enumerate(blocks):
        counted = index > 0
        with breakdown.installed(store) if counted else contextlib.nullcontext():
            seconds, outcome = timed(lambda block=block: node.import_block(block))
        if outcome.status is not ImportStatus.IMPORTED:
            raise SystemExit(f"block {index + 1} was {outcome.status.value}: {outcome.reason}")
        if counted:
            totals.append(seconds)
    after = rss_mib()
    memory = rocksdb_memory(kv) | {"node_cache": store.state.nodes.cached_bytes() / 2**20}
    kv.close()
    counted_blocks = len(totals)
    floor = raw_floor(directory, breakdown.written_sizes[: len(breakdown.written_sizes) // counted_blocks])
    result = {step: seconds / counted_blocks for step, seconds in breakdown.seconds.items()}
    result |= {
        "import": statistics.mean(totals), "floor": floor, "rss_before": before, "rss_after": after,
        "keys_written": len(breakdown.written_sizes) / counted_blocks, "blocks": counted_blocks, **memory,
    }  # fmt: skip
    return result


# ---- the driver ----


def run_child(mode: str, size: int, arguments: argparse.Namespace, directory: Path) -> dict[str, float]:
    command = [sys.executable, __file__, f"--{mode}", str(size), "--transfers", str(arguments.transfers),
               "--blocks", str(arguments.blocks), "--work-dir", str(directory)]  # fmt: skip
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise SystemExit(f"{mode} {size} failed:\n{finished.stderr[-3000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def report(size: int, transfers: int, prepared: dict[str, float], measured: dict[str, float]) -> None:
    per_transfer = {step: measured[step] / transfers * 1e6 for step in Breakdown.STEPS}
    rest = (measured["import"] - sum(measured[step] for step in Breakdown.STEPS)) / transfers * 1e6
    state_work = sum(measured[step] for step in ("reads", "writes", "root", "store"))
    print(f"{size:>9,} accounts (genesis: {prepared['genesis_nodes']:,.0f} trie nodes, built in "
          f"{prepared['genesis_build']:.1f} s, stored in {prepared['genesis_store']:.1f} s)")  # fmt: skip
    print(f"          import {measured['import'] * 1e3:8.1f} ms per block of {transfers:,} transfers "
          f"(mean of {measured['blocks']:.0f} blocks after a warm-up one)")  # fmt: skip
    print("          per transfer: " + ", ".join(f"{step} {value:.1f} µs" for step, value in per_transfer.items())
          + f", rest of the import {rest:.1f} µs")  # fmt: skip
    print(f"          raw floor: one synced RocksDB batch of {measured['keys_written']:,.0f} keys of the same sizes "
          f"{measured['floor'] * 1e3:.1f} ms; state work (reads, writes, root, store) {state_work * 1e3:.1f} ms = "
          f"{state_work / measured['floor']:.1f}x the floor")  # fmt: skip
    caches = measured["node_cache"] + measured["memtables"] + measured["table_readers"] + measured["block_cache"]
    print(f"          VmRSS {measured['rss_after']:.1f} MiB after the import ({measured['rss_before']:.1f} MiB before "
          f"the node opened); of it, caches {caches:.1f} MiB: node cache {measured['node_cache']:.1f} (bound "
          f"{DEFAULT_CACHE_BYTES >> 20}), RocksDB block cache {measured['block_cache']:.1f} (bound "
          f"{BLOCK_CACHE_BYTES >> 20}, index and filters in it), table readers {measured['table_readers']:.1f}, "
          f"memtables {measured['memtables']:.1f} (bound: RocksDB's write buffers)", flush=True)  # fmt: skip


def size_label(size: int) -> str:
    """10k, 1M, …"""
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--transfers", type=int, default=1000)
    parser.add_argument("--blocks", type=int, default=3, help="blocks authored; the first is the warm-up")
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--prepare", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--import", dest="import_size", type=int, default=None, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.prepare is not None:
        print(json.dumps(prepare(arguments.prepare, arguments.transfers, arguments.blocks, arguments.work_dir)))
        return
    if arguments.import_size is not None:
        print(json.dumps(import_blocks(arguments.import_size, arguments.transfers, arguments.work_dir)))
        return
    if arguments.blocks < 2:
        parser.error("--blocks must be at least 2 (the first warms up)")
    with tempfile.TemporaryDirectory(prefix="state-bench-", dir=arguments.work_dir) as scratch:
        imports = {}
        print(f"MINIMAL node, RocksDB store; blocks of {arguments.transfers:,} transfers", flush=True)
        for size in sorted(arguments.sizes):
            directory = Path(scratch) / f"size-{size}"
            directory.mkdir()
            prepared = run_child("prepare", size, arguments, directory)
            measured = run_child("import", size, arguments, directory)
            report(size, arguments.transfers, prepared, measured)
            imports[size] = measured["import"]
            shutil.rmtree(directory)
        smallest, largest = min(imports), max(imports)
        print(f"growth {size_label(largest)}/{size_label(smallest)} = {imports[largest] / imports[smallest]:.2f}")


if __name__ == "__main__":
    main()
