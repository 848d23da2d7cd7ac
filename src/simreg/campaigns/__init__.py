"""Re-registration campaigns for legacy lines (RN-13): SMS first, then outbound calls."""
