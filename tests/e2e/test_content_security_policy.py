"""The Content-Security-Policy in a real browser: inline code is blocked and reported, no eval, no framing."""

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from .conftest import CSP_VIOLATION, serving

# Ways a page could run or style something inline, each with the words Chromium's message uses for it.
INJECTIONS = {
    "inline handler": ("inline event handler",
                       "document.body.insertAdjacentHTML('beforeend', "
                       "'<button onclick=\"window.injected = 1\">Injected</button>')"),
    "inline script": ("inline script",
                      "const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
                      "document.body.append(s)"),
    "inline style": ("inline style",
                     "document.body.insertAdjacentHTML('beforeend', "
                     "'<p style=\"display: none\">Injected</p>')"),
}


def is_violation(message: ConsoleMessage) -> bool:
    """Whether a console message is the browser reporting a blocked inline script, handler or style."""
    return message.type == "error" and CSP_VIOLATION in message.text


@pytest.mark.parametrize("kind", INJECTIONS)
def test_inline_code_is_blocked_and_reported(logged_in_page: Page, csp_violations, kind):
    page = logged_in_page
    words, script = INJECTIONS[kind]
    assert not csp_violations, "the pages themselves broke the policy"
    with page.expect_console_message(is_violation, timeout=5_000):  # reports arrive after the fact
        page.evaluate(script)
        if kind == "inline handler":
            page.get_by_role("button", name="Injected").click()
        if kind == "inline style":
            expect(page.get_by_text("Injected")).to_be_visible()  # display: none was not applied
    assert page.evaluate("window.injected") is None, "the injected code ran"
    assert len(csp_violations) == 1 and words in csp_violations[0], csp_violations
    csp_violations.clear()  # seen and checked: the suite's own check at teardown has nothing left to fail on


def test_htmx_runs_without_eval_or_injected_styles(logged_in_page: Page):
    page = logged_in_page
    page.wait_for_load_state()  # htmx (a deferred script) has run and read its settings from the page
    config = page.evaluate("({allowEval: htmx.config.allowEval, allowScriptTags: htmx.config.allowScriptTags,"
                           " includeIndicatorStyles: htmx.config.includeIndicatorStyles})")
    assert config == {"allowEval": False, "allowScriptTags": False, "includeIndicatorStyles": False}
    # An hx-on attribute (which htmx would compile with eval) does nothing, and breaks no policy either.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', "
                  "'<button id=hx-on-probe hx-on:click=\"window.injected = 1\">Injected</button>');"
                  "htmx.process(document.getElementById('hx-on-probe'))")
    page.get_by_role("button", name="Injected").click()
    assert page.evaluate("window.injected") is None


@pytest.fixture
def other_site():
    """Another server on this host (other origin, same site); yields show(html), which returns its URL."""
    page = {"html": ""}

    def app(environ, start_response):
        """Answer every request with the page set last."""
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page["html"].encode()]

    with serving(app) as url:
        yield lambda html: page.update(html=html) or url + "/"


def test_another_site_on_the_same_host_cannot_frame_a_profile(logged_in_page: Page, seed, live_server,
                                                              other_site, csp_violations):
    customer_id = seed("Ada", "Lovelace")
    page = logged_in_page
    profile = f"{live_server}/customers/{customer_id}"
    page.goto(profile)
    expect(page.get_by_role("button", name="Delete customer")).to_be_visible()  # logged in, cookie and all
    with page.expect_console_message(is_violation, timeout=5_000):
        page.goto(other_site(f'<h1>Other site</h1><iframe title="Framed" src="{profile}"></iframe>'))
        expect(page.get_by_role("heading", name="Other site")).to_be_visible()
        # The browser refuses to show it (its own error page stands in), so there is nothing to click.
        expect(page.frame_locator("iframe[title=Framed]").locator("body")).not_to_contain_text("Ada Lovelace")
    assert len(csp_violations) == 1 and "frame-ancestors 'none'" in csp_violations[0], csp_violations
    csp_violations.clear()  # the refusal this test is about, not a page breaking the policy
