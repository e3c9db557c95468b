"""Plain classes for each role: I/O around protocol/; Ray wiring lives in network/compose.py."""
