"""Identity: document types, normalisation and validation of what a clerk types."""
