"""Security headers for every response: a strict Content-Security-Policy, no framing or sniffing, HSTS."""

from flask import Flask, Response, current_app

# Everything the pages use comes from the app itself: no inline scripts, handlers or styles, no eval
# (htmx is configured not to need it in base.html), and no other site may frame the dashboard.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
))
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# Only where the login cookie is HTTPS-only: then the site is served over HTTPS and must stay there.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def add_security_headers(response: Response) -> Response:
    """Put the security headers on a response (pages, partials, API, downloads, static files, errors)."""
    response.headers.update(HEADERS)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    return response


def init_app(app: Flask) -> None:
    """Add the headers after every request, error pages included."""
    app.after_request(add_security_headers)
