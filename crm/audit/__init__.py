"""The shop-wide audit trail page."""
