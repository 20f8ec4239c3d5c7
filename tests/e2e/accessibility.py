"""Accessibility checks for a page in the browser: axe-core's WCAG 2.2 A/AA rules, and the size of tap targets.

axe-core is vendored under tests/e2e/vendor (the pages never load it): it is evaluated into the page through
the DevTools protocol, which the page's Content-Security-Policy doesn't govern, so the page is checked as
users get it, policy and all.
"""

from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core-4.14.1.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA (2.2 added only AA rules to axe: target-size among them).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MIN_TARGET = 44  # CSS px, each way: WCAG 2.5.5 (AAA), the size phones are designed to

_RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations.map((rule) => ({
    id: rule.id, impact: rule.impact, help: rule.help,
    nodes: rule.nodes.map((node) => ({target: node.target.join(" "), summary: node.failureSummary})),
  }));
}"""


def axe_violations(page: Page) -> list[dict]:
    """axe-core's violations of the WCAG 2.2 A/AA rules on the page as it is now (after any swaps)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(_RUN_AXE, WCAG_TAGS)


def describe_violations(violations: list[dict]) -> str:
    """The violations as a readable list: rule id, impact and help, then each element's selector and why."""
    lines = []
    for rule in violations:
        lines.append(f"- {rule['id']} ({rule['impact']}): {rule['help']}")
        for node in rule["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


# Which controls count, and the one exception, are written out in test_accessibility.test_tap_targets.
_SMALL_TARGETS = """(minimum) => {
  const CONTROLS = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=tab], ' +
                   '[role=button], [role=option], [tabindex]:not([tabindex="-1"])';
  const SENTENCE = 'p, li, dd, td, th, figcaption, label, .hint, .small';

  function ownText(block, link) {
    // The block's text without the link's: a link inside a sentence has words around it.
    const clone = block.cloneNode(true);
    const twin = clone.querySelector('[data-measuring]');
    if (twin) twin.remove();
    return clone.textContent.replace(/\\s+/g, '');
  }
  function inSentence(el) {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    const block = el.parentElement.closest(SENTENCE);
    if (!block) return false;
    el.setAttribute('data-measuring', '');
    const words = ownText(block, el);
    el.removeAttribute('data-measuring');
    return words.length > 0;
  }
  function target(el) {
    // A checkbox or radio button is tapped through its label as well: the two boxes together are its target.
    let box = el.getBoundingClientRect();
    if (el.matches('input[type=checkbox], input[type=radio]') && el.labels && el.labels.length) {
      for (const label of el.labels) {
        const l = label.getBoundingClientRect();
        const left = Math.min(box.left, l.left), top = Math.min(box.top, l.top);
        box = {left, top, width: Math.max(box.right, l.right) - left, height: Math.max(box.bottom, l.bottom) - top,
               right: Math.max(box.right, l.right), bottom: Math.max(box.bottom, l.bottom)};
      }
    }
    return box;
  }
  function clippedAway(el) {
    // Inside a box of 1 px or less that hides its overflow: visually hidden (a phone's table headers).
    for (let up = el; up; up = up.parentElement) {
      const box = up.getBoundingClientRect(), style = getComputedStyle(up);
      if ((box.width <= 1 || box.height <= 1) && (style.overflow !== 'visible' || style.clip !== 'auto')) return true;
    }
    return false;
  }
  function shown(el) {
    if (!el.checkVisibility({visibilityProperty: true})) return false;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || clippedAway(el)) return false;
    return box.right > 0 && box.left < document.documentElement.scrollWidth;  // not parked off-screen
  }
  function name(el) {
    const text = (el.getAttribute('aria-label') || el.textContent || el.value || el.name || '').trim();
    return text.replace(/\\s+/g, ' ').slice(0, 60);
  }
  function selector(el) {
    let s = el.tagName.toLowerCase();
    if (el.id) return s + '#' + el.id;
    if (el.classList.length) s += '.' + Array.from(el.classList).join('.');
    if (el.type && el.tagName === 'INPUT') s += '[type=' + el.type + ']';
    return s;
  }
  const small = [];
  for (const el of document.querySelectorAll(CONTROLS)) {
    if (el.disabled || !shown(el) || inSentence(el)) continue;
    const box = target(el);
    if (box.width < minimum - 0.5 || box.height < minimum - 0.5) {
      small.push({selector: selector(el), name: name(el),
                  width: Math.round(box.width), height: Math.round(box.height)});
    }
  }
  return small;
}"""


def small_targets(page: Page) -> list[dict]:
    """Every visible, enabled control on the page smaller than MIN_TARGET either way (links in a sentence
    aside): its selector, accessible text and size."""
    return page.evaluate(_SMALL_TARGETS, MIN_TARGET)


def describe_targets(targets: list[dict]) -> str:
    """The small targets as lines "selector "text": W×H"."""
    return "\n".join(f"- {t['selector']} \"{t['name']}\": {t['width']}×{t['height']} px" for t in targets)
