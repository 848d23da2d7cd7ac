"""simreg: real-name registration for mobile lines."""

__version__ = "0.1.0"
