"""The legacy subscriber base: bulk import, real-name classification, and the
one-ID-many-numbers audit (RN-14)."""
