"""Compliance reporting: the figures of DOMAIN.md, reproducible as of any past date."""
