"""The public follow page: visitors confirm their email with a one-time code and become prospects."""
