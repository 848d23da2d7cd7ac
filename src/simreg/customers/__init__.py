"""Group (enterprise) customers and the actual users of their lines (RN-12)."""
