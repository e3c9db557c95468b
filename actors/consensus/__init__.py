"""The node role: the chain in RocksDB, block import and authoring, the transaction pool."""
