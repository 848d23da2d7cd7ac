"""The number pool: MSISDNs, cards, line kinds and states."""
