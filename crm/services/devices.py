"""What a sign-in's user agent says about the device, in words a shop owner recognises: "Chrome on Windows".

Only the families people know are told apart; anything else is "Unknown device". The
order matters: Edge and Opera carry "Chrome" in their user agent, and Chrome carries "Safari".
"""

from flask_babel import gettext as _

BROWSERS = (("Edg/", "Edge"), ("EdgA/", "Edge"), ("EdgiOS/", "Edge"), ("OPR/", "Opera"),
            ("SamsungBrowser/", "Samsung Internet"),
            ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chromium/", "Chromium"),
            ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("curl/", "curl"))
SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("CrOS", "ChromeOS"),
           ("Windows", "Windows"), ("Macintosh", "macOS"), ("Mac OS X", "macOS"), ("Linux", "Linux"))


def _first(user_agent: str, table: tuple[tuple[str, str], ...]) -> str | None:
    return next((name for marker, name in table if marker in user_agent), None)


def describe(user_agent: str | None) -> str:
    """"Firefox on Linux", "Safari on iPhone", "Chrome", or "Unknown device" when nothing is recognised."""
    user_agent = user_agent or ""
    browser, system = _first(user_agent, BROWSERS), _first(user_agent, SYSTEMS)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown device")
