"""Staff accounts: password login with lockout, sessions, roles and outlets."""
