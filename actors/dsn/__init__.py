"""The DSN: cache peers (L2), their store and identity, and the piece getter over every tier."""
