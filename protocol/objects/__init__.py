"""Objects in archived history: payloads, object mappings and reading objects back from pieces."""
