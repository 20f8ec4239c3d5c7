"""The Customers area: the list with segment tabs and the customer profile."""
