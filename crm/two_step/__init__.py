"""Two-step verification of the signed-in account: set up with the app's QR code, turn on, turn off."""
