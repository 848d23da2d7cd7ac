"""HTTP entrypoint: the JSON API under /api/v1 (pages arrive with issue 3)."""
