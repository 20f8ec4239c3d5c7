"""Insights: the best customers, how the shop grows and where its customers live."""
