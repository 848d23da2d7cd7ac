"""The command line: serve, demo, database and key management."""
