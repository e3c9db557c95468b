"""DSN benchmark: getting pieces and objects back, each figure next to a limit measured in the same run.

    python benchmarks/dsn.py [--sizes dev,minimal] [--fetches N] [--getter-fetches N] [--peers N] [--cache-pieces N]
                             [--l1-pieces N] [--l1-rounds N] [--missing-sources N] [--object-mib N]
                             [--object-preset dev|minimal] [--payloads-per-block N] [--committer-workers N]
                             [--kzg PATH|dev] [--dir DIR] [--work-dir DIR] [--skip-l2] [--skip-l1]
                             [--skip-reconstruction] [--skip-objects]

  l2       --peers cache peer actors (CachePeerService) on an embedded Ray instance, each holding the --cache-pieces
           pieces nearest its id (written into its store before it starts; its first sync finds nothing missing),
           segment headers from a history server actor. Latency p50/p99 of --fetches raw actor calls
           (CachePeerLinkHandle.get_piece) next to a trivial actor returning bytes of the same size, interleaved;
           then --getter-fetches fetches through PieceGetter with L2 only (Kademlia providers + is_piece_valid),
           next to the trivial call plus is_piece_valid alone. DEV (1 MiB pieces) and MINIMAL (2 KiB).
  l1       PlotPieceReader.get_piece from a plotted DEV sector of --l1-pieces pieces (K=20 table, decode, checksum),
           next to the bare K=20 table generation (the dominant step); the seeds quote about 1 s.
  rebuild  (dsn_rebuild.py) reconstruct_piece and reconstruct_segment of a DEV segment from exactly half its pieces (--missing-sources
           source pieces missing, as many parity pieces present), next to the bare erasure recovery
           (kernels.fr.recover_records) of the same input; the missing source commitments interpolated over G1
           (recover_source_commitments) next to committing to the recovered records again, as the reference does.
  objects  put: plan_object of --object-mib random MiB, StoreData blocks signed and encoded, archived by an in-process
           Archiver (filler blocks complete the segment), next to the same archiver on plain blocks of the same
           sizes. get: ObjectClient.get (read_object per payload, each checked against its id; the pieces of the next
           chunks fetched together, unchecked: see benchmarks/objects.py) with pieces from
           (a) the archive's piece files and (b) L2 cache peers, next to raw reads of the same pieces from the files.

The archived DEV segment (~380 MB) is cached in --work-dir, shared with benchmarks/farming.py (the first run
archives it, ~1.5 min); everything else lives in a scratch directory removed on exit.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench_common import CEREMONY, Summary, median, ms, percentile, prepare_history, timed
from dsn_rebuild import measure_reconstruction

from autonomys.actors.archiving.archiver import Archiver
from autonomys.actors.archiving.history import ArchiveHistory, synthetic_block
from autonomys.actors.archiving.piece_store import SegmentPieceFiles
from autonomys.actors.dsn.cache_peer import CACHE_DIRECTORY, IDENTITY_FILE, CachePeerConfig
from autonomys.actors.dsn.cache_peer_service import CachePeerServiceConfig
from autonomys.actors.dsn.directory import DsnDirectory, DsnNames
from autonomys.actors.dsn.peer_identity import PeerIdentity
from autonomys.actors.dsn.piece_cache import PieceCacheStore
from autonomys.actors.dsn.piece_getter import NamedSource, PieceGetter, PieceSources
from autonomys.actors.farming.farm import Farm
from autonomys.actors.farming.plot_reader import PlotPieceReader
from autonomys.actors.handles import CachePeerLinkHandle, RayLinks, call
from autonomys.actors.kzg_setup import load_kzg, setup_for
from autonomys.actors.objects.client import ObjectClient, dev_account
from autonomys.actors.plotting.plotter import LocalRecordEncoder, Plotter, thread_pos_table
from autonomys.actors.storage import RocksKVStore
from autonomys.protocol.archiving.archived_segment import is_piece_valid
from autonomys.protocol.archiving.pieces import compute_piece_position
from autonomys.protocol.consensus.chain_blocks import Block, Header, PotInfo, PreDigest, StoreData, sign_transaction
from autonomys.protocol.dsn.piece_cache import compute_piece_distance, select_closest_pieces
from autonomys.protocol.farming.solutions import Solution, compute_proof_of_space_size
from autonomys.protocol.objects.mappings import compute_object_id, plan_object
from autonomys.protocol.params import DEV, MINIMAL, PRESETS, Params
from autonomys.protocol.plotting.encoding import new_pos_table
from autonomys.protocol.plotting.reading import decode_record, read_encoded_record
from autonomys.protocol.plotting.sectors import (
    compute_public_key_hash,
    compute_sector_id,
    compute_sector_metadata_size,
    compute_sector_size,
    derive_evaluation_seed,
)

MIB = 1 << 20
TIMEOUT = 120.0
ACTORS: list = []


def size_label(params: Params) -> str:
    size = params.piece_size
    return (
        f"{params.name.upper()} {size / MIB:.0f} MiB" if size >= MIB else f"{params.name.upper()} {size / 1024:.0f} KiB"
    )


def p50_p99(values: list[float]) -> str:
    return f"{ms(median(values))} / {ms(percentile(values, 0.99))}"


# ---- actors: a history server, a trivial actor, cache peers ----


class HistoryServer:
    """An archive directory opened read-only, served as a node and an archiver are (headers, commitments, pieces)."""

    def __init__(self, data_dir: str, params: Params) -> None:
        self.history = ArchiveHistory(data_dir, params)

    def ready(self) -> bool:
        return True

    def segment_headers(self, first: int = 0) -> list:
        return self.history.fetch(first)

    def history_size(self) -> int:
        return self.history.history_size()

    def segment_commitment(self, segment_index: int) -> bytes | None:
        return self.history.segment_commitment(segment_index)

    def get_piece(self, piece_index: int) -> bytes | None:
        return self.history.get_piece(piece_index)


class Blob:
    """The trivial actor: returns a bytes object of a piece's size, nothing else."""

    def __init__(self, size: int) -> None:
        self.data = os.urandom(size)

    def get_piece(self, piece_index: int) -> bytes:
        return self.data


def start_actor(cls: type, name: str, *args: object):  # noqa: ANN201 - a Ray actor handle
    import ray

    handle = ray.remote(cls).options(name=name, num_cpus=0, max_concurrency=8).remote(*args)
    ray.get(handle.__ray_ready__.remote(), timeout=TIMEOUT)
    ACTORS.append(handle)  # a named actor lives while a handle to it does
    return handle


def start_cache_peers(spec, tag: str, data_dir: Path, params: Params, setup, history: ArchiveHistory, peers: int,
                      capacity: int, scratch: Path) -> tuple[list[str], dict[str, set[int]], float]:  # fmt: skip
    """Peers holding the `capacity` pieces nearest their ids, written in-process first; (names, held, seconds)."""
    from autonomys.network.compose import create_cache_peer

    started = time.perf_counter()
    server = f"history-{tag}"
    start_actor(HistoryServer, server, str(data_dir), params)
    names = [f"cache-{tag}-{number}" for number in range(peers)]
    indexes = list(range(history.history_size() * params.num_pieces))
    held: dict[str, set[int]] = {}
    for name in names:
        directory = scratch / name
        peer_id = PeerIdentity.load_or_create(directory / IDENTITY_FILE).peer_id
        store = PieceCacheStore(directory / CACHE_DIRECTORY, params, capacity)
        held[name] = set(select_closest_pieces(peer_id, indexes, capacity))  # what its first sync will want
        try:
            for index in held[name]:
                store.put(index, history.get_piece(index), compute_piece_distance(index, peer_id))
        finally:
            store.close()
    clients = []
    for name in names:
        config = CachePeerConfig(
            name, str(scratch / name), params, setup, capacity, tuple(n for n in names if n != name)
        )
        dsn = DsnNames(tuple(names), None, server, (), archive=False)
        clients.append(create_cache_peer(spec, CachePeerServiceConfig(config, server, dsn, sync_interval_seconds=600)))
    for client in clients:
        ACTORS.append(client.handle)
        client.ready(timeout=TIMEOUT)
        client.join()
    for client in clients:
        client.sync_once()  # a peer syncs first a sync interval after it starts; this sync finds its store full
    deadline = time.monotonic() + TIMEOUT
    while not all(
        (s := client.status()).synced == 1.0 and s.segments_known == history.history_size() for client in clients
    ):
        if time.monotonic() > deadline:
            raise SystemExit(f"cache peers {names} did not report synced")
        time.sleep(0.2)
    if any(client.status().failed for client in clients):
        raise SystemExit("a cache peer failed to fetch a piece: the prefilled stores do not match its plan")
    return names, held, time.perf_counter() - started


# ---- L2 ----


def measure_l2(arguments, spec, params: Params, setup, kzg, history: ArchiveHistory, scratch: Path,
               summary: Summary) -> None:  # fmt: skip
    label = size_label(params)
    tag = f"{params.name}-{uuid.uuid4().hex[:4]}"
    capacity = min(arguments.cache_pieces, history.history_size() * params.num_pieces)
    names, held, seconds = start_cache_peers(spec, tag, history_dir(history), params, setup, history, arguments.peers,
                                             capacity, scratch)  # fmt: skip
    pieces = sorted(set().union(*held.values()))
    print(f"l2       {label}: {len(names)} cache peers x {capacity} pieces ({len(pieces)} distinct) up in {seconds:.1f} s",
          flush=True)  # fmt: skip
    blob = start_actor(Blob, f"blob-{tag}", params.piece_size)
    holder = {index: name for name in reversed(names) for index in held[name]}
    links = {name: CachePeerLinkHandle(name) for name in names}
    generator = random.Random(3)
    order = [generator.choice(pieces) for _ in range(arguments.fetches)]
    for index in order[:3]:  # warm: resolve the handles, first object-store transfers
        links[holder[index]].get_piece(index)
        call(blob.get_piece, index)
    raw, trivial = [], []
    for index in order:
        seconds, piece = timed(lambda i=index: links[holder[i]].get_piece(i))
        raw.append(seconds)
        if piece is None or len(piece) != params.piece_size:
            raise SystemExit(f"cache peer {holder[index]} did not serve piece {index}")
        trivial.append(timed(lambda i=index: call(blob.get_piece, i))[0])
    directory = DsnDirectory(names, RayLinks().cache_peer)
    getter = PieceGetter(params, kzg, history, PieceSources(l2=directory), reconstruct=False)
    getter.fetch(order[0])  # the directory's first refresh (bootstrap + lookup)
    count = len(order[: arguments.getter_fetches if params.piece_size >= MIB else arguments.fetches])
    verified, checks = [], []  # each fetch, then is_piece_valid of the same piece alone (the machine is shared)
    for index in order[:count]:
        seconds, piece = timed(lambda i=index: getter.fetch(i))
        verified.append(seconds)
        if piece != history.get_piece(index):
            raise SystemExit(f"PieceGetter returned a wrong piece {index}")
        commitment, position = (
            history.segment_commitment(index // params.num_pieces),
            compute_piece_position(index, params),
        )
        checks.append(timed(lambda p=piece, c=commitment, n=position: is_piece_valid(kzg, p, c, n, params))[0])  # fmt: skip
    first_hit = sum(1 for index in order[:count] if directory.providers(index)[0].name in {
        name for name in names if index in held[name]}) / count  # fmt: skip
    check = median(checks)
    print(f"l2       {label}: raw get_piece p50/p99 {p50_p99(raw)}, trivial actor {p50_p99(trivial)} "
          f"-> trivial/raw = {median(trivial) / median(raw):.2f} (p50), {percentile(trivial, .99) / percentile(raw, .99):.2f} (p99)")  # fmt: skip
    print(f"l2       {label}: PieceGetter (L2) p50/p99 {p50_p99(verified)} over {count}; is_piece_valid alone {ms(check)}; "
          f"nearest provider held the piece {first_hit:.0%}; by tier {getter.stats.by_tier['l2']} l2", flush=True)  # fmt: skip
    mb_s = params.piece_size / MIB / median(raw)
    summary.add(f"L2 raw actor call ({label}), p50 / p99 of {len(raw)}", p50_p99(raw),
                f"trivial actor, same size {p50_p99(trivial)}",
                f"trivial/raw = **{median(trivial) / median(raw):.2f}** / {percentile(trivial, .99) / percentile(raw, .99):.2f}")  # fmt: skip
    summary.add(f"  one peer, sequential: {mb_s:.0f} MiB/s" if params.piece_size >= MIB else
                f"  one peer, sequential: {1 / median(raw):.0f} pieces/s", "", "", "")  # fmt: skip
    floor = median(trivial) + check
    summary.add(f"L2 via PieceGetter ({label}: lookup + is_piece_valid), p50 / p99 of {count}", p50_p99(verified),
                f"trivial call + is_piece_valid {ms(median(trivial))} + {ms(check)}",
                f"floor/getter = **{floor / median(verified):.2f}**")  # fmt: skip


def history_dir(history: ArchiveHistory) -> Path:
    """The data directory an ArchiveHistory was opened on (its pieces live in <dir>/archiver/pieces)."""
    return history.pieces.directory.parents[1]


# ---- L1 ----


def measure_l1(arguments, setup, history: ArchiveHistory, scratch: Path, summary: Summary) -> None:
    params = dataclasses.replace(DEV, max_pieces_in_sector=arguments.l1_pieces)
    size = compute_sector_size(params.max_pieces_in_sector, params) + compute_sector_metadata_size(params) + 64
    farm = Farm.create_or_open(scratch / "l1-farm", size, params)
    try:
        plotter = Plotter(farm, history, history, LocalRecordEncoder(params, setup, threads=os.cpu_count() or 1))
        seconds, _ = timed(lambda: plotter.plot_sector(0, history.history_size()))
        reader = PlotPieceReader(farm)
        indexes = sorted(reader.piece_indexes())
        print(f"l1       DEV sector of {params.max_pieces_in_sector} pieces plotted in {seconds:.1f} s; "
              f"{len(indexes)} distinct pieces", flush=True)  # fmt: skip
        thread_pos_table(params).generate(bytes(32))  # allocate the reader's table, as a farmer's is after one read
        reads, tables, decodes, rests = [], [], [], []
        metadata = farm.sector_metadata(0)
        sector_id = compute_sector_id(compute_public_key_hash(farm.identity.public_key), 0, metadata.history_size)
        table = new_pos_table(params)
        table.generate(bytes(32))
        for _ in range(arguments.l1_rounds):
            for index in indexes:
                seconds, piece = timed(lambda i=index: reader.get_piece(i))
                if piece != history.get_piece(index):
                    raise SystemExit(f"L1 read of piece {index} does not match the archive")
                reads.append(seconds)
                # Right after, the two big steps alone on a table of our own (the machine is shared: pair them).
                offset = reader.locate(index)[0].piece_offset
                view = farm.sector_view(0)
                try:
                    encoded = read_encoded_record(view, metadata, offset, params)
                finally:
                    view.release()
                seed = derive_evaluation_seed(sector_id, offset)
                tables.append(timed(lambda s=seed: table.generate(s))[0])
                decodes.append(timed(lambda e=encoded: decode_record(e, table, params))[0])
                rests.append(seconds - tables[-1] - decodes[-1])
    finally:
        farm.close()
    read, table_seconds, decode, rest = median(reads), median(tables), median(decodes), median(rests)
    print(f"l1       get_piece p50 {ms(read)} (max {ms(max(reads))}) over {len(reads)}; K=20 table {ms(table_seconds)}, "
          f"decode {ms(decode)}, rest (read, checksum, index) {ms(rest)} -> table/L1 = {table_seconds / read:.2f}",
          flush=True)  # fmt: skip
    summary.add(f"L1 PlotPieceReader.get_piece (DEV, K=20), p50 of {len(reads)}", ms(read),
                f"bare K=20 table generation {ms(table_seconds)}", f"table/L1 = **{table_seconds / read:.2f}**")  # fmt: skip
    summary.add("  L1 steps: table + decode + rest", f"{ms(table_seconds)} + {ms(decode)} + {ms(rest)}",
                "seeds: about 1 s", f"L1/1 s = {read:.2f}")  # fmt: skip


# ---- objects ----


BENCHMARK_NETWORK = bytes(32)
"""The genesis hash the benchmark's transactions sign (archiving never checks signatures)."""


def object_blocks(payloads: tuple[bytes, ...], params: Params, per_block: int) -> list[bytes]:
    """Chain blocks (placeholder solution and seal: archiving never checks them) carrying the payloads as StoreData."""
    signer = dev_account()
    public_key = signer.public_key
    solution = Solution(bytes(32), bytes(32), 0, 1, 0, bytes(48), bytes(48), bytes(32), bytes(48),
                        bytes(compute_proof_of_space_size(params)))  # fmt: skip
    blocks = []
    for start in range(0, len(payloads), per_block):
        number = len(blocks)
        transactions = tuple(sign_transaction(BENCHMARK_NETWORK, public_key, start + offset, StoreData(payload), signer.sign)
                             for offset, payload in enumerate(payloads[start : start + per_block]))  # fmt: skip
        pre_digest = PreDigest(number, solution, PotInfo(bytes(16), bytes(16)))
        header = Header(bytes(32), number, bytes(32), bytes(32), pre_digest, None, bytes(64))
        blocks.append(Block(header, transactions, (), ()).to_bytes())
    return blocks


def archive_blocks(
    directory: Path, params: Params, kzg, committer, blocks: list[bytes]
) -> tuple[float, float, int, Archiver]:
    """Archive `blocks`, then filler blocks until the segment holding the last of them is out:
    (seconds in on_confirmed_block, of which in segment-producing calls, segments, the open archiver)."""
    archiver = Archiver(params, kzg, RocksKVStore(directory / "archiver" / "db"),
                        SegmentPieceFiles(directory / "archiver" / "pieces", params), committer)  # fmt: skip
    last, number, total, producing = len(blocks) - 1, 0, 0.0, 0.0
    filler_size = params.recorded_history_segment_size // 16
    while True:
        block = blocks[number] if number <= last else synthetic_block(number, filler_size)
        seconds, headers = timed(lambda n=number, b=block: archiver.on_confirmed_block(n, b))
        total += seconds
        producing += seconds if headers else 0.0
        number += 1
        header = archiver.last_segment_header
        if header is not None and (header.last_archived_block.number > last or (
                header.last_archived_block.number == last and header.last_archived_block.is_complete)):  # fmt: skip
            return total, producing, header.segment_index + 1, archiver


class MappedNode:
    """The node side of ObjectClient: object locations as the archiver mapped them."""

    def __init__(self, mappings: dict) -> None:
        self.mappings = mappings

    def object_location(self, object_hash: bytes):  # noqa: ANN201
        return self.mappings.get(bytes(object_hash))


def measure_objects(arguments, spec, setup, kzg, scratch: Path, summary: Summary) -> None:
    from autonomys.network.compose import create_record_committer
    from autonomys.network.spec import SMALL_RECORD_CHUNKS

    params = PRESETS[arguments.object_preset]
    size = int(arguments.object_mib * MIB)
    data = random.Random(5).randbytes(size)
    plan_seconds, plan = timed(lambda: plan_object(data))
    blocks_seconds, blocks = timed(lambda: object_blocks(plan.payloads, params, arguments.payloads_per_block))
    block_bytes = sum(len(block) for block in blocks)
    committer = None
    if params.record_num_chunks >= SMALL_RECORD_CHUNKS and arguments.committer_workers > 0:
        committer = create_record_committer(setup, params, arguments.committer_workers)
    print(f"objects  {size / MIB:.1f} MiB, {params.name}: plan {ms(plan_seconds)} ({len(plan.payloads)} payloads), "
          f"signed + encoded into {len(blocks)} blocks ({block_bytes / MIB:.1f} MiB) in {ms(blocks_seconds)}", flush=True)  # fmt: skip
    plain_blocks = [synthetic_block(number, len(block)) for number, block in enumerate(blocks)]
    plain, plain_producing, plain_segments, archiver = archive_blocks(
        scratch / "plain", params, kzg, committer, plain_blocks
    )
    archiver.store.close()
    shutil.rmtree(scratch / "plain", ignore_errors=True)
    archive, producing, segments, archiver = archive_blocks(scratch / "objects", params, kzg, committer, blocks)
    mappings = {
        compute_object_id(payload): archiver.object_mapping(compute_object_id(payload)) for payload in plan.payloads
    }
    archiver.store.close()
    if any(mapping is None for mapping in mappings.values()):
        raise SystemExit("a payload of the object was archived without a mapping")
    segment_mib = params.recorded_history_segment_size / MIB
    history_rate, plain_rate = segments * segment_mib / archive, plain_segments * segment_mib / plain
    put = plan_seconds + blocks_seconds + block_bytes / MIB / history_rate
    print(f"objects  archive {segments} segment(s) with the object's blocks: {archive:.1f} s (segment-producing calls "
          f"{producing:.1f} s) = {history_rate:.2f} MiB/s of history; plain blocks {plain:.1f} s "
          f"({plain_producing:.1f} s) = {plain_rate:.2f} MiB/s", flush=True)  # fmt: skip
    print(f"objects  put {size / MIB:.1f} MiB: plan + blocks + the object's share of archiving = {put:.2f} s "
          f"-> {size / MIB / put:.2f} MiB/s; retrievable after {plan_seconds + blocks_seconds + archive:.1f} s "
          "(its whole segment archived)", flush=True)  # fmt: skip
    summary.add(f"object put ({size / MIB:g} MiB, {params.name}: plan + sign/encode + archive share)",
                f"{size / MIB / put:.2f} MiB/s", f"archiver on plain blocks {plain_rate:.2f} MiB/s",
                f"put/plain = **{size / MIB / put / plain_rate:.2f}**")  # fmt: skip
    summary.add("  archiver, object blocks vs plain blocks (MiB of history/s)", f"{history_rate:.2f}",
                f"{plain_rate:.2f}", f"{history_rate / plain_rate:.2f}")  # fmt: skip

    history = ArchiveHistory(scratch / "objects", params)
    try:
        fetched: list[int] = []

        def from_files(piece_index: int) -> bytes | None:
            fetched.append(piece_index)
            return history.get_piece(piece_index)

        getter = PieceGetter(
            params, kzg, history, PieceSources(archive=[NamedSource("archive", from_files)]), reconstruct=False
        )
        get_files, got = timed(lambda: ObjectClient(MappedNode(mappings), getter, params).get(plan.object_id))
        if got != data:
            raise SystemExit("the object read back from the piece files differs")
        raw, _ = timed(lambda: [history.get_piece(index) for index in fetched])
        print(f"objects  get from piece files: {get_files:.2f} s = {size / MIB / get_files:.2f} MiB/s; {len(fetched)} "
              f"piece fetches ({len(set(fetched))} distinct), unchecked (hash-checked chunks); raw reads of the same {ms(raw)} "
              f"= {size / MIB / raw:.0f} MiB/s", flush=True)  # fmt: skip
        summary.add(f"object get, piece files ({len(fetched)} fetches, {len(set(fetched))} distinct, hash-checked)",
                    f"{size / MIB / get_files:.2f} MiB/s ({get_files:.1f} s)",
                    f"raw reads of the same pieces {size / MIB / raw:.0f} MiB/s",
                    f"get/raw = **{raw / get_files:.4f}**")  # fmt: skip
        if arguments.peers > 0:
            tag = f"obj-{uuid.uuid4().hex[:4]}"
            capacity = history.history_size() * params.num_pieces
            names, _, _ = start_cache_peers(spec, tag, scratch / "objects", params, setup, history, arguments.peers,
                                            capacity, scratch)  # fmt: skip
            getter = PieceGetter(params, kzg, history, PieceSources(l2=DsnDirectory(names, RayLinks().cache_peer)), reconstruct=False)
            get_l2, got = timed(lambda: ObjectClient(MappedNode(mappings), getter, params).get(plan.object_id))
            if got != data:
                raise SystemExit("the object read back from L2 differs")
            if getter.stats.by_tier["l2"] < len(set(fetched)):
                raise SystemExit(f"fewer pieces from L2 than the get needs ({getter.stats.by_tier})")
            print(f"objects  get from {len(names)} L2 cache peers: {get_l2:.2f} s = {size / MIB / get_l2:.2f} MiB/s",
                  flush=True)  # fmt: skip
            summary.add("object get, L2 cache peers", f"{size / MIB / get_l2:.2f} MiB/s ({get_l2:.1f} s)",
                        f"raw reads {size / MIB / raw:.0f} MiB/s", f"get/raw = **{raw / get_l2:.4f}**")  # fmt: skip
    finally:
        history.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="dev,minimal", help="piece sizes for L2: dev (1 MiB), minimal (2 KiB)")
    parser.add_argument(
        "--fetches", type=int, default=200, help="L2 raw and trivial calls (and MINIMAL getter fetches)"
    )
    parser.add_argument("--getter-fetches", type=int, default=40, help="DEV fetches through PieceGetter (~0.6 s each)")
    parser.add_argument("--peers", type=int, default=2, help="cache peer actors per history (0: no L2 for objects)")
    parser.add_argument("--cache-pieces", type=int, default=64, help="pieces each L2 cache peer holds")
    parser.add_argument("--l1-pieces", type=int, default=4, help="pieces in the plotted DEV sector (DEV max: 32)")
    parser.add_argument("--l1-rounds", type=int, default=2, help="reads of each piece of the sector")
    parser.add_argument("--missing-sources", type=int, default=64, help="source pieces missing for reconstruction")
    parser.add_argument("--object-mib", type=float, default=4, help="object size (MiB)")
    parser.add_argument("--object-preset", default="dev", choices=["dev", "minimal"])
    parser.add_argument("--payloads-per-block", type=int, default=4, help="StoreData payloads (256 KiB) per block")
    parser.add_argument("--committer-workers", type=int, default=2, help="Ray tasks committing DEV records")
    parser.add_argument("--kzg", default=str(CEREMONY) if CEREMONY.exists() else "dev")
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory (default: a new temp dir)")
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "autonomys-bench-farming",
                        help="cache of the archived DEV segment (shared with farming.py)")  # fmt: skip
    for phase in ("l2", "l1", "reconstruction", "objects"):
        parser.add_argument(f"--skip-{phase}", action="store_true")
    arguments = parser.parse_args()
    sizes = [PRESETS[name.strip()] for name in arguments.sizes.split(",") if name.strip()]
    if not 1 <= arguments.l1_pieces <= DEV.max_pieces_in_sector:
        parser.error(f"--l1-pieces must be in 1..{DEV.max_pieces_in_sector}")
    if not 1 <= arguments.missing_sources <= DEV.segment_num_raw_records:
        parser.error(f"--missing-sources must be in 1..{DEV.segment_num_raw_records}")

    base = arguments.dir if arguments.dir is not None else Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="autonomys-bench-dsn-", dir=base))
    path = None if arguments.kzg == "dev" else arguments.kzg
    setup = setup_for(DEV.record_num_chunks, path)
    kzg = load_kzg(setup)
    print(f"CPUs: {os.cpu_count()}; scratch {scratch}; setup {kzg.label} ({'INSECURE dev' if kzg.insecure else 'ceremony'})",
          flush=True)  # fmt: skip
    summary = Summary()
    history = prepare_history(arguments.work_dir, setup, "dev" if kzg.insecure else "ceremony", DEV)
    try:
        if not arguments.skip_l1:
            measure_l1(arguments, setup, history, scratch, summary)
        if not arguments.skip_reconstruction:
            measure_reconstruction(arguments, kzg, history, summary)
        if arguments.skip_l2 and arguments.skip_objects:
            return
        from autonomys.network.runtime import local_ray
        from autonomys.network.spec import ClusterSpec
        from autonomys.network.synth import synthesize_history

        minimal_setup = setup_for(MINIMAL.record_num_chunks, path)
        if not arguments.skip_l2 and MINIMAL in sizes:
            synthesize_history(scratch / "minimal-net", "minimal", minimal_setup, 8)
        spec = ClusterSpec(preset="dev", namespace=f"dsn-bench-{uuid.uuid4().hex[:6]}")
        with local_ray(spec, num_cpus=2):
            if not arguments.skip_l2:
                for params in sizes:
                    own = params is MINIMAL  # a MINIMAL history of 8 segments, archived above
                    source = ArchiveHistory(scratch / "minimal-net", MINIMAL) if own else history
                    params_setup = minimal_setup if own else setup
                    try:
                        measure_l2(
                            arguments, spec, params, params_setup, load_kzg(params_setup), source, scratch, summary
                        )
                    finally:
                        if own:
                            source.close()
            if not arguments.skip_objects:
                object_setup = setup if arguments.object_preset == "dev" else minimal_setup
                measure_objects(arguments, spec, object_setup, load_kzg(object_setup), scratch, summary)
    finally:
        history.close()
        shutil.rmtree(scratch, ignore_errors=True)
        summary.print()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
