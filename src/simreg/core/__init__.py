"""Settings, errors, clock and identity-data cryptography shared by every feature."""
