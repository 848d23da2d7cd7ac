"""The RN rules of the domain brief as pure functions returning every violation."""
