"""Sending SMS: the gateway port, the outbox dispatcher, quiet hours and pacing."""
