"""Sales channels, their outlets and enrolled app devices."""
