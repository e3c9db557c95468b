"""Archiving benchmark at MAINNET sizes: one 128 MiB segment next to its floor, measured in one run.

    python benchmarks/archiving.py [--setup PATH] [--records N] [--skip-ray]

  floor     128 multi-scalar multiplications of 2^15 points (the record commitments' irreducible cost)
  archive   archive_segment of one random segment in this process (commitments, extension, witnesses)
  ray       the record commitments fanned out to 1 and to 2 Ray worker tasks (speed-up on this machine)
  ntt       NTT 2^16 in C vs the pure-Python reference
  validity  is_piece_valid of one piece
--records N measures N of the 128 commitments and scales them (for a quick run); the default is all.
"""

from __future__ import annotations

import argparse
import random
import sys

from bench_common import CEREMONY, timed
from py_arkworks_bls12381 import G1Point, Scalar

from autonomys.actors.kzg_setup import KzgSetup, load_kzg
from autonomys.kernels import fr
from autonomys.protocol.archiving.archived_segment import (
    archive_segment,
    compute_source_record_commitment,
    is_piece_valid,
)
from autonomys.protocol.archiving.segment_encoding import split_segment_into_raw_records
from autonomys.protocol.archiving.segments import INITIAL_LAST_ARCHIVED_BLOCK
from autonomys.protocol.params import MAINNET
from autonomys.protocol.types import Blake3Hash, SegmentIndex

PARAMS = MAINNET


def measure_floor(kzg, records: int) -> float:
    generator = random.Random(1)
    points = kzg.g1_powers[: PARAMS.record_num_chunks]
    total = 0.0
    for _ in range(records):
        scalars = [Scalar(generator.getrandbits(250)) for _ in range(PARAMS.record_num_chunks)]
        seconds, _ = timed(lambda s=scalars: G1Point.multiexp_unchecked(points, s))
        total += seconds
    return total * PARAMS.segment_num_raw_records / records


def measure_ray(setup: KzgSetup, raw_records: list[bytes], workers: int) -> float:
    from autonomys.network.compose import create_record_committer

    committer = create_record_committer(setup, PARAMS, workers)
    committer(raw_records[:1])  # warm the workers' setup cache
    seconds, _ = timed(lambda: committer(raw_records))
    return seconds * PARAMS.segment_num_raw_records / len(raw_records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", default=str(CEREMONY) if CEREMONY.exists() else None)
    parser.add_argument("--records", type=int, default=PARAMS.segment_num_raw_records)
    parser.add_argument("--skip-ray", action="store_true")
    arguments = parser.parse_args()
    setup = KzgSetup(path=arguments.setup)
    kzg = load_kzg(setup)
    print(f"setup: {kzg.label} ({'INSECURE dev' if kzg.insecure else 'ceremony'}); records measured: {arguments.records}")

    segment = random.Random(2).randbytes(PARAMS.recorded_history_segment_size)
    raw_records = split_segment_into_raw_records(segment, PARAMS)
    floor = measure_floor(kzg, arguments.records)
    print(f"floor    128 MSMs of 2^15 points            {floor:8.2f} s")

    commit_seconds, commitments = timed(
        lambda: [compute_source_record_commitment(kzg, r, PARAMS) for r in raw_records[: arguments.records]]
    )
    commit_scaled = commit_seconds * PARAMS.segment_num_raw_records / arguments.records
    if arguments.records == PARAMS.segment_num_raw_records:
        rest, archived = timed(
            lambda: archive_segment(
                segment, kzg, PARAMS, SegmentIndex(0), Blake3Hash(bytes(32)), INITIAL_LAST_ARCHIVED_BLOCK,
                source_commitments=commitments,
            )
        )  # fmt: skip
        piece, commitment = archived.pieces[3], archived.segment_header.segment_commitment
    else:
        rest, archived = float("nan"), None
    total = commit_scaled + rest
    print(f"archive  one segment, 1 process             {total:8.2f} s  -> floor/archive = {floor / total:.2f}"
          f"  (commitments {commit_scaled:.1f} s, extension+witnesses+pieces {rest:.1f} s)")

    if not arguments.skip_ray:
        from autonomys.network.runtime import local_ray
        from autonomys.network.spec import ClusterSpec

        with local_ray(ClusterSpec(), num_cpus=2):
            one = measure_ray(setup, raw_records[: arguments.records], 1)
            two = measure_ray(setup, raw_records[: arguments.records], 2)
        print(f"ray      commitments, 1 worker              {one:8.2f} s")
        print(f"ray      commitments, 2 workers             {two:8.2f} s  -> speed-up {one / two:.2f} (2 cores)")

    values = random.Random(3).randbytes(32 * 65536)
    values = fr.scalars_to_bytes([int.from_bytes(values[i : i + 32], "big") % fr.MODULUS for i in range(0, len(values), 32)])
    c_seconds = min(timed(lambda: fr.ntt(values))[0] for _ in range(5))
    reference_seconds, _ = timed(lambda: fr.ntt(values, "reference"))
    print(f"ntt      2^16 C {c_seconds * 1e3:.1f} ms, Python reference {reference_seconds * 1e3:.0f} ms "
          f"-> {reference_seconds / c_seconds:.0f}x")
    if archived is not None:
        valid_seconds, valid = timed(lambda: is_piece_valid(kzg, piece, commitment, 3, PARAMS))
        print(f"validity is_piece_valid one piece {valid_seconds * 1e3:.0f} ms (valid={valid}); "
              f"floor is one MSM ~{floor / 128 * 1e3:.0f} ms")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
