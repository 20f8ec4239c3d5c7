"""Address helpers for the customer form: street suggestions and each country's states, as htmx fragments."""
