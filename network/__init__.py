"""A running network: the role table and the composition root that creates and wires every actor, the
Network client, the Ray runtime (embedded or attached), the genesis and the farms."""
