"""Demo data: synthetic but valid identities, channels, staff and a number pool."""
