"""The Team area: Settings → Team (members, roles, invitations) and the invitation page."""
