"""The operator's online shop (RN-10, RN-11): number selection, reservation, the ID scan and
the identity-authority check, central review, and the ID checked again at hand-over."""
