"""The timekeeper role: proves proof-of-time slot after slot, publishes slots; verifiers and calibration."""
