"""The farmer (plot shard) role: farms on disk, audits and proofs each slot, identity and metrics."""
