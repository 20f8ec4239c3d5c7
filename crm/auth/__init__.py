"""Owner accounts: first-run setup, login, logout."""
