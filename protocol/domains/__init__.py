"""Decoupled execution: domains, staking, bundle election, bundles, receipts (sp-domains, pallet-domains)."""
