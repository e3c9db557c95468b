"""Identity roles: X.509 material for Auto IDs, and (to come) the agent registry."""
