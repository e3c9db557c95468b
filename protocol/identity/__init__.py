"""Identity: Auto ID (X.509 identities on an Auto ID domain, pallet-auto-id), agent identities, delegation,
content provenance and verifiable credentials."""
