"""Registration lifecycle: submission, central review, activation (RN-01..RN-06)."""
