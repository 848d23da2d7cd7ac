"""Adapters at the edge: document photos, and later SMS, identity authority and stores."""
