"""AI3.0 roles: the directory client, the Shapley valuation job, training providers, validators, challengers."""
