"""The signed-in person's own account: name, email, password, sign-ins and two-step verification."""
