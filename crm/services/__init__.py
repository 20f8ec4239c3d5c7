"""Domain logic as plain functions: no request, no templates."""
