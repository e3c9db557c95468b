"""Object get benchmark: an archived object read back from L2 cache peers, next to a raw Ray fetch of its pieces.

    python benchmarks/objects.py [--object-mib N] [--object-preset dev|minimal] [--peers N] [--rounds N]
                                 [--payloads-per-block N] [--committer-workers N] [--kzg PATH|dev]
                                 [--work-dir DIR] [--skip-checked] [--skip-liar]

An object of --object-mib random MiB is planned into 256 KiB chunks and a manifest, stored as StoreData in
chain blocks and archived by an in-process Archiver (filler blocks complete its segment), as benchmarks/dsn.py
does; the archive and the object's mappings are cached in --work-dir (the first DEV run archives one 128 MiB
segment, about 2 min on 2 cores). --peers CachePeerService actors on an embedded Ray instance each hold every
piece of that history (written into their stores before they start).

  get      ObjectClient.iter_object consumed whole (what the gateway streams; the chunks are compared with the
           data afterwards) through a PieceGetter with L2 only (Kademlia providers): pieces fetched unchecked, each
           chunk checked against the id its manifest commits to (blake3), no KZG check at all.
  raw      the same distinct pieces from the same cache peer actors: `ray.get` of all their `get_piece` calls at
           once (the fastest Ray moves them), and one call at a time.
  liar     (unless --skip-liar) a get while the nearest peer of one piece serves it corrupted: the hash fails, the
           pieces that chunk read are checked (one batch, then one by one), the liar demoted, the piece fetched
           again from the other peer; and the next get, which asks the other peer first.
  checked  (unless --skip-checked) the previous get: a getter without `get_pieces_unchecked`, so every piece is
           KZG-checked (one MSM per batch of 32, `are_pieces_valid`), the "before" figure.

get/raw = raw seconds / get seconds over the same pieces; --rounds runs of each, interleaved, best of each.
The driver's CPU seconds (all its threads, `time.process_time`) are printed next to each: on a shared machine
they move less than wall time.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from bench_common import CEREMONY, Summary, ms, timed
from dsn import MIB, MappedNode, archive_blocks, object_blocks, start_cache_peers

from autonomys.actors.archiving.history import ArchiveHistory
from autonomys.actors.dsn.directory import DsnDirectory
from autonomys.actors.dsn.piece_getter import PieceGetter, PieceSources
from autonomys.actors.handles import RayLinks
from autonomys.actors.kzg_setup import load_kzg, setup_for
from autonomys.actors.objects.client import ObjectClient
from autonomys.protocol.objects.mappings import GLOBAL_OBJECT_SIZE, GlobalObject, compute_object_id, plan_object
from autonomys.protocol.params import PRESETS, Params

MAPPINGS_FILE = "object-mappings.bin"


class RecordingLink:
    """A cache peer link that notes which piece it served (the raw fetch asks the same peer for the same piece)."""

    def __init__(self, name: str, inner: object, served: dict[int, str]) -> None:
        self.name = name
        self.inner = inner
        self.served = served

    def peer_id(self) -> bytes:
        return self.inner.peer_id()  # type: ignore[attr-defined, no-any-return]

    def find_closest(self, kademlia_key: bytes, count: int) -> list:
        return self.inner.find_closest(kademlia_key, count)  # type: ignore[attr-defined, no-any-return]

    def get_piece(self, piece_index: int) -> bytes | None:
        piece = self.inner.get_piece(piece_index)  # type: ignore[attr-defined]
        if piece is not None:
            self.served.setdefault(piece_index, self.name)
        return piece  # type: ignore[no-any-return]


class LyingLink:
    """A cache peer link that serves `target` with every record byte flipped when it is the peer named liar["name"]."""

    def __init__(self, name: str, inner: object, liar: dict[str, str], target: int) -> None:
        self.name = name
        self.inner = RecordingLink(name, inner, {})
        self.liar = liar
        self.target = target

    def peer_id(self) -> bytes:
        return self.inner.peer_id()

    def find_closest(self, kademlia_key: bytes, count: int) -> list:
        return self.inner.find_closest(kademlia_key, count)

    def get_piece(self, piece_index: int) -> bytes | None:
        piece = self.inner.get_piece(piece_index)
        if piece is None or piece_index != self.target or self.liar.get("name") != self.name:
            return piece
        flipped = bytearray(piece)
        for start in range(1, len(piece) // 2, 32):  # the low bytes of the first half's scalars (still decodable)
            flipped[start] ^= 1
        return bytes(flipped)


class CheckingGetter:
    """The PieceGetter as gets used it before objects were hash-checked: `get_pieces` (KZG, one MSM a batch)."""

    def __init__(self, getter: PieceGetter) -> None:
        self.getter = getter

    def get_piece(self, piece_index: int) -> bytes | None:
        return self.getter.get_piece(piece_index)

    def get_pieces(self, piece_indexes: Sequence[int]) -> list[bytes | None]:
        return self.getter.get_pieces(piece_indexes)


def archived_object(arguments, params: Params, kzg, setup, data: bytes, directory: Path) -> dict[bytes, GlobalObject]:  # noqa: ANN001
    """The object archived under `directory` (archived now unless cached there): its payloads' mappings."""
    from autonomys.network.compose import create_record_committer
    from autonomys.network.spec import SMALL_RECORD_CHUNKS

    plan = plan_object(data)
    cache = directory / MAPPINGS_FILE
    if not cache.exists():
        shutil.rmtree(directory, ignore_errors=True)
        committer = None
        if params.record_num_chunks >= SMALL_RECORD_CHUNKS and arguments.committer_workers > 0:
            committer = create_record_committer(setup, params, arguments.committer_workers)
        blocks = object_blocks(plan.payloads, params, arguments.payloads_per_block)
        print(f"objects  archiving {len(data) / MIB:g} MiB in {len(blocks)} blocks into {directory} (cached)…", flush=True)
        seconds, (_, _, segments, archiver) = timed(lambda: archive_blocks(directory, params, kzg, committer, blocks))
        mappings = [archiver.object_mapping(compute_object_id(payload)) for payload in plan.payloads]
        archiver.store.close()
        if any(mapping is None for mapping in mappings):
            raise SystemExit("a payload of the object was archived without a mapping")
        cache.write_bytes(b"".join(mapping.to_bytes() for mapping in mappings if mapping is not None))
        print(f"objects  archived {segments} segment(s) in {seconds:.0f} s", flush=True)
    raw = cache.read_bytes()
    mappings = [GlobalObject.from_bytes(raw[at : at + GLOBAL_OBJECT_SIZE]) for at in range(0, len(raw), GLOBAL_OBJECT_SIZE)]
    if len(mappings) != len(plan.payloads):
        raise SystemExit(f"{cache} holds {len(mappings)} mappings, the object has {len(plan.payloads)} payloads")
    return {compute_object_id(payload): mapping for payload, mapping in zip(plan.payloads, mappings, strict=True)}


def cpu_timed(function: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds) of one call."""
    cpu = time.process_time()
    seconds, _ = timed(function)
    return seconds, time.process_time() - cpu


def raw_fetches(served: dict[int, str]) -> tuple[tuple[float, float], tuple[float, float]]:
    """((wall, CPU) seconds for all pieces at once, the same one call at a time): `get_piece` of each piece from
    the peer that served it to the get."""
    import ray

    handles = {name: ray.get_actor(name) for name in set(served.values())}
    pairs = sorted(served.items())

    def together() -> None:
        pieces = ray.get([handles[name].get_piece.remote(index) for index, name in pairs])
        if any(piece is None for piece in pieces):
            raise SystemExit("a cache peer did not serve a piece in the raw fetch")

    def one_by_one() -> None:
        for index, name in pairs:
            ray.get(handles[name].get_piece.remote(index))

    return cpu_timed(together), cpu_timed(one_by_one)


def measure(arguments, spec, params: Params, setup, kzg, directory: Path, scratch: Path, summary: Summary) -> None:  # noqa: ANN001
    size = int(arguments.object_mib * MIB)
    data = random.Random(5).randbytes(size)
    mappings = archived_object(arguments, params, kzg, setup, data, directory)
    object_id = plan_object(data).object_id
    history = ArchiveHistory(directory, params)
    try:
        tag = f"obj-{uuid.uuid4().hex[:4]}"
        capacity = history.history_size() * params.num_pieces
        names, _, seconds = start_cache_peers(spec, tag, directory, params, setup, history, arguments.peers, capacity,
                                              scratch)  # fmt: skip
        print(f"objects  {len(names)} cache peers x {capacity} pieces up in {seconds:.1f} s", flush=True)
        served: dict[int, str] = {}
        links = RayLinks()
        directory_of = DsnDirectory(names, lambda name: RecordingLink(name, links.cache_peer(name), served))  # type: ignore[arg-type, return-value]
        getter = PieceGetter(params, kzg, history, PieceSources(l2=directory_of), reconstruct=False)
        client = ObjectClient(MappedNode(mappings), getter, params)
        client.stat(object_id)  # the directory's first refresh (bootstrap + lookup); the root read once
        gets, together, sequential = [], [], []
        for _ in range(arguments.rounds):
            chunks: list[bytes] = []
            gets.append(cpu_timed(lambda c=chunks: c.extend(client.iter_object(object_id))))
            if b"".join(chunks) != data:
                raise SystemExit("the object read back from L2 differs")
            all_at_once, one_by_one = raw_fetches(served)
            together.append(all_at_once)
            sequential.append(one_by_one)
        (get, get_cpu), (raw, raw_cpu), (raw_one, _) = min(gets), min(together), min(sequential)
        pieces = len(served)
        mib = size / MIB
        stats = getter.stats
        print(f"objects  get {mib:g} MiB from L2: best of {len(gets)} {get:.3f} s = {mib / get:.0f} MiB/s, driver CPU "
              f"{get_cpu:.3f} s (all: {', '.join(f'{s:.3f}' for s, _ in gets)}); {pieces} distinct pieces, "
              f"{stats.unchecked} unchecked fetches, {stats.verified} checked afterwards", flush=True)  # fmt: skip
        print(f"objects  raw ray.get of the same {pieces} pieces from the same peers: all at once {raw:.3f} s "
              f"= {pieces * params.piece_size / MIB / raw:.0f} MiB/s (driver CPU {raw_cpu:.3f} s), one at a time "
              f"{raw_one:.3f} s -> get/raw = {raw / get:.2f} (all at once), {raw_one / get:.2f} (one at a time); "
              f"CPU get/raw = {raw_cpu / get_cpu:.2f}", flush=True)  # fmt: skip
        summary.add(f"object get, {mib:g} MiB {params.name.upper()} from {len(names)} L2 cache peers (hash-checked, no MSM)",
                    f"**{mib / get:.0f} MiB/s** ({get:.2f} s)",
                    f"raw `ray.get` of its {pieces} pieces, all at once: {raw:.2f} s ({ms(raw_one)} one by one)",
                    f"get/raw = **{raw / get:.2f}** ({raw_one / get:.2f})")  # fmt: skip
        summary.add("  driver CPU seconds (all threads): get vs raw all at once", f"{get_cpu:.3f} s", f"{raw_cpu:.3f} s",
                    f"{raw_cpu / get_cpu:.2f}")  # fmt: skip
        if not arguments.skip_liar:
            measure_liar(params, kzg, history, names, mappings, object_id, data, sorted(served), get, summary)
        if not arguments.skip_checked:
            measure_checked(params, getter, mappings, object_id, data, raw, summary)
    finally:
        history.close()


def measure_liar(params: Params, kzg, history: ArchiveHistory, names: list[str], mappings: dict[bytes, GlobalObject],  # noqa: ANN001
                 object_id: bytes, data: bytes, pieces: list[int], clean: float, summary: Summary) -> None:  # fmt: skip
    """A get while the nearest cache peer of one piece in the object's middle serves it corrupted: the chunk's hash
    fails, the pieces it read are checked, the liar demoted, the piece fetched again; then a get after that."""
    target = pieces[len(pieces) // 2]
    liar: dict[str, str] = {}
    links = RayLinks()
    directory = DsnDirectory(names, lambda name: LyingLink(name, links.cache_peer(name), liar, target))  # type: ignore[arg-type, return-value]
    liar["name"] = directory.providers(target)[0].name
    getter = PieceGetter(params, kzg, history, PieceSources(l2=directory), reconstruct=False)
    client = ObjectClient(MappedNode(mappings), getter, params)
    client.stat(object_id)
    seconds, got = timed(lambda: client.get(object_id))
    after, again = timed(lambda: client.get(object_id))
    record = getter.source_records()[liar["name"]]
    if got != data or again != data or record.invalid != 1:
        raise SystemExit(f"a get with a lying peer returned wrong bytes or did not demote it ({record})")
    mib = len(data) / MIB
    print(f"objects  get with {liar['name']} lying about piece {target}: {seconds:.2f} s = {mib / seconds:.0f} MiB/s "
          f"({getter.stats.verified} pieces checked after the hash failed; the liar demoted: {record.invalid} bad); "
          f"the next get {after:.2f} s", flush=True)  # fmt: skip
    summary.add("  get with one lying cache peer (hash fails, pieces checked, liar demoted, piece refetched)",
                f"{mib / seconds:.0f} MiB/s ({seconds:.2f} s)", f"clean get {clean:.2f} s; the next get {after:.2f} s",
                f"clean/lied = {clean / seconds:.2f}")  # fmt: skip


def measure_checked(params: Params, getter: PieceGetter, mappings: dict[bytes, GlobalObject], object_id: bytes,
                    data: bytes, raw: float, summary: Summary) -> None:  # fmt: skip
    """The "before" row: the same get with every piece KZG-checked (get_pieces, one MSM per batch of 32)."""
    checked = ObjectClient(MappedNode(mappings), CheckingGetter(getter), params)
    try:
        seconds, got = timed(lambda: checked.get(object_id))
    except Exception as error:  # the KZG kernels are another session's work in progress: keep the rows above
        print(f"objects  before (every piece KZG-checked) failed: {error!r}", flush=True)
        return
    if got != data:
        raise SystemExit("the object read back through checked pieces differs")
    mib = len(data) / MIB
    print(f"objects  before (every piece KZG-checked, get_pieces): {seconds:.2f} s = {mib / seconds:.1f} MiB/s "
          f"-> get/raw = {raw / seconds:.4f}", flush=True)  # fmt: skip
    summary.add("  before: every piece KZG-checked (`get_pieces`, one MSM per batch)",
                f"{mib / seconds:.1f} MiB/s ({seconds:.1f} s)", "same raw fetch", f"{raw / seconds:.4f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--object-mib", type=float, default=64, help="object size (MiB)")
    parser.add_argument("--object-preset", default="dev", choices=["dev", "minimal"])
    parser.add_argument("--peers", type=int, default=2, help="cache peer actors (each holds every piece)")
    parser.add_argument("--rounds", type=int, default=3, help="gets and raw fetches, interleaved (best of each)")
    parser.add_argument("--payloads-per-block", type=int, default=4, help="StoreData payloads (256 KiB) per block")
    parser.add_argument("--committer-workers", type=int, default=2, help="Ray tasks committing DEV records")
    parser.add_argument("--kzg", default=str(CEREMONY) if CEREMONY.exists() else "dev")
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "autonomys-bench-objects",
                        help="cache of the archived object (per size, preset and setup)")  # fmt: skip
    parser.add_argument("--skip-checked", action="store_true", help="skip the KZG-checked get (the 'before' row)")
    parser.add_argument("--skip-liar", action="store_true", help="skip the get with a lying cache peer")
    arguments = parser.parse_args()
    if arguments.peers < 1:
        parser.error("--peers must be at least 1")
    from autonomys.network.runtime import local_ray
    from autonomys.network.spec import ClusterSpec

    params = PRESETS[arguments.object_preset]
    setup = setup_for(params.record_num_chunks, None if arguments.kzg == "dev" else arguments.kzg)
    kzg = load_kzg(setup)
    label = "dev" if kzg.insecure else "ceremony"
    directory = arguments.work_dir / f"object-{arguments.object_mib:g}mib-{params.name}-{label}"
    scratch = Path(tempfile.mkdtemp(prefix="autonomys-bench-objects-"))
    print(f"CPUs: {os.cpu_count()}; scratch {scratch}; setup {kzg.label} ({'INSECURE dev' if kzg.insecure else 'ceremony'})",
          flush=True)  # fmt: skip
    summary = Summary()
    spec = ClusterSpec(preset="dev", namespace=f"objects-bench-{uuid.uuid4().hex[:6]}")
    try:
        with local_ray(spec, num_cpus=2):
            measure(arguments, spec, params, setup, kzg, directory, scratch, summary)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        summary.print()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
