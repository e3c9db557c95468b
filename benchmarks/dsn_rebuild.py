"""The DSN benchmark's reconstruction rows (see benchmarks/dsn.py, which runs them): reconstruct_piece and
reconstruct_segment of a DEV segment from exactly half its pieces next to the bare erasure recovery, the
missing commitments interpolated over G1 next to committing again, a PieceGetter fetching by reconstruction,
and a batch piece check next to one check per piece."""

from __future__ import annotations

from bench_common import Summary, median, ms, timed

from autonomys.actors.archiving.history import ArchiveHistory
from autonomys.actors.dsn.piece_getter import BATCH_SIZE, NamedSource, PieceGetter, PieceSources
from autonomys.kernels import fr
from autonomys.protocol.archiving.archived_segment import compute_record_commitment, is_piece_valid, split_piece
from autonomys.protocol.archiving.piece_batch import are_pieces_valid
from autonomys.protocol.archiving.piece_reconstruction import (
    reconstruct_piece,
    reconstruct_segment,
    recover_source_commitments,
)
from autonomys.protocol.params import DEV, Params

MIB = 1 << 20


def measure_reconstruction(arguments, kzg, history: ArchiveHistory, summary: Summary) -> None:
    params = DEV
    sources, missing = params.segment_num_raw_records, arguments.missing_sources
    spread = sorted({int((k + 0.5) * sources / missing) for k in range(missing)})
    originals = [history.get_piece(position) for position in range(params.num_pieces)]  # segment 0
    pieces: list[bytes | None] = list(originals)
    for ordinal in range(sources):
        if ordinal in spread:
            pieces[2 * ordinal] = None  # a missing source piece
        else:
            pieces[2 * ordinal + 1] = None  # a missing parity piece: exactly half stay
    present = [piece is not None for piece in pieces]
    slots = b"".join(bytes(params.record_size) if piece is None else split_piece(piece, params)[0] for piece in pieces)
    print(f"rebuild  DEV segment: {sum(present)} of {params.num_pieces} pieces present, {len(spread)} source pieces "
          "missing", flush=True)  # fmt: skip
    recover, records = timed(lambda s=slots: fr.recover_records(s, present))
    size = params.record_size  # three of the records reconstruction commits to again: the median commitment
    some = [records[2 * ordinal * size : (2 * ordinal + 1) * size] for ordinal in spread[:3]]
    slots = records = b""  # 512 MiB freed before the reconstructions
    commit = median([timed(lambda r=record: compute_record_commitment(kzg, r))[0] for record in some])
    interpolate, _ = timed(lambda: recover_source_commitments(pieces, params))
    target = 2 * spread[0]
    piece_seconds, piece = timed(lambda: reconstruct_piece(kzg, pieces, target, params))
    if piece != originals[target]:
        raise SystemExit("reconstruct_piece returned a wrong piece")
    segment_seconds, rebuilt = timed(lambda: reconstruct_segment(kzg, pieces, params))
    if rebuilt != originals:
        raise SystemExit("reconstruct_segment returned wrong pieces")
    rebuilt = []
    getter_seconds, check = measure_getter_reconstruction(kzg, history, pieces, target, params)
    measure_batch_check(kzg, history, originals[:BATCH_SIZE], params, summary)
    recommit = len(spread) * commit  # what the reference spends on the missing source commitments
    segment_mib = params.num_pieces * params.piece_size / MIB
    print(f"rebuild  recover_records kernel {recover:.2f} s ({segment_mib / recover:.0f} MiB/s); the missing source "
          f"commitments interpolated over G1 in {interpolate:.2f} s, against {ms(commit)} x {len(spread)} = "
          f"{recommit:.1f} s committing to the records again (the reference's way)", flush=True)  # fmt: skip
    for what, seconds in (("reconstruct_piece", piece_seconds), ("reconstruct_segment", segment_seconds)):
        print(f"rebuild  {what} {seconds:.2f} s -> recover/{what.split('_')[1]} = {recover / seconds:.2f}; "
              f"re-committing instead would add {recommit - interpolate:.1f} s", flush=True)  # fmt: skip
    summary.add(f"reconstruct_piece, DEV, {len(spread)} of 128 sources missing", f"{piece_seconds:.2f} s",
                f"recover_records kernel {recover:.2f} s",
                f"recover/piece = **{recover / piece_seconds:.2f}**")  # fmt: skip
    summary.add("reconstruct_segment (all 256 pieces)", f"{segment_seconds:.2f} s ({segment_mib / segment_seconds:.1f} MiB/s)",
                f"recover {recover:.2f} s ({segment_mib / recover:.0f} MiB/s)",
                f"recover/segment = **{recover / segment_seconds:.2f}**")  # fmt: skip
    print(f"rebuild  PieceGetter.fetch by reconstruction {getter_seconds:.2f} s; reconstruct_piece + one "
          f"is_piece_valid {piece_seconds + check:.2f} s", flush=True)  # fmt: skip
    summary.add("PieceGetter.fetch of that piece by reconstruction (gather 128, rebuild, check)", f"{getter_seconds:.2f} s",
                f"reconstruct_piece + one is_piece_valid: {piece_seconds + check:.2f} s",
                f"floor/getter = **{(piece_seconds + check) / getter_seconds:.2f}**")  # fmt: skip
    summary.add(f"  the {len(spread)} missing source commitments", f"{interpolate:.2f} s (interpolated over G1)",
                f"committing to the records again: {recommit:.1f} s",
                f"speed-up **{recommit / interpolate:.0f}x**")  # fmt: skip


def measure_batch_check(kzg, history, pieces: list[bytes], params: Params, summary: Summary) -> None:
    """are_pieces_valid on a batch of segment-0 pieces next to is_piece_valid on each (PieceGetter.get_pieces)."""
    commitment = history.segment_commitment(0)
    count = len(pieces)
    single = median(
        [
            timed(lambda p=piece, i=i: is_piece_valid(kzg, p, commitment, i, params))[0]
            for i, piece in enumerate(pieces[:3])
        ]
    )
    batch, valid = timed(lambda: are_pieces_valid(kzg, pieces, [commitment] * count, list(range(count)), params))
    if not valid:
        raise SystemExit("are_pieces_valid rejected valid pieces")
    print(f"batch    are_pieces_valid of {count} DEV pieces {batch:.2f} s ({ms(batch / count)} a piece); "
          f"is_piece_valid {ms(single)} a piece", flush=True)  # fmt: skip
    summary.add(f"are_pieces_valid, {count} DEV pieces (what get_pieces checks: plotting, cache sync)",
                f"{batch:.2f} s = {ms(batch / count)} a piece", f"is_piece_valid: {ms(single)} a piece",
                f"speed-up **{single * count / batch:.1f}x**")  # fmt: skip


def measure_getter_reconstruction(
    kzg, history, pieces: list[bytes | None], target: int, params: Params
) -> tuple[float, float]:
    """(seconds for PieceGetter.fetch of `target` when only `pieces` (segment 0) exist, seconds of one piece check)."""
    held = {position: piece for position, piece in enumerate(pieces) if piece is not None}
    getter = PieceGetter(params, kzg, history, PieceSources(farmers=[NamedSource("half", held.get)]))
    seconds, piece = timed(lambda: getter.fetch(target))
    if getter.stats.by_tier["reconstruction"] != 1:
        raise SystemExit("PieceGetter did not reconstruct the piece")
    commitment = history.segment_commitment(0)
    check, valid = timed(lambda: is_piece_valid(kzg, piece, commitment, target, params))
    if not valid:
        raise SystemExit("PieceGetter returned an invalid piece")
    return seconds, check
