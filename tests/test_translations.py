"""Bahasa Melayu beside English: every piece of text a template shows goes through gettext, the catalogues
hold every string the code and templates ask for, the Malay one translates each of them keeping its
placeholders, and the compiled catalogue is the one the .po file makes (`make translations` does all three).
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import nodes

from crm import create_app

from .conftest import app_config

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "crm" / "translations"
TEMPLATES = ROOT / "crm" / "templates"
# What may stand in a template untranslated: names that are the same in every language, and symbols.
SAME_IN_EVERY_LANGUAGE = {"crm", "WhatsApp", "CSV", "ABN", "API", "ID", "QR", "VIP", "SVG", "PDF", "JSON",
                          "URL", "E.164", "ISO", "MB", "KB", "htmx", "Google", "Shopify", "WooCommerce", "TOTP"}
# Attributes people read or hear.
READ_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "data-confirm", "aria-description",
                   "aria-roledescription", "data-busy-text", "data-error-text", "data-retry-text", "data-label"}
# Keyword arguments and calls whose strings are code, not words: classes, ids, endpoints, input modes...
CODE_KEYWORDS = {"class_", "id", "form_class", "autocomplete", "inputmode", "type", "name", "method", "rel",
                 "target", "role", "prefix", "pattern", "accept", "hx_get", "hx_post", "hx_target", "hx_swap",
                 "hx_trigger", "hx_select", "hx_push_url", "hx_include", "enctype", "form", "list", "step",
                 "min", "max", "wrap", "spellcheck", "autocapitalize", "enterkeyhint", "dir", "lang", "value"}
CODE_CALLS = {"url_for", "can", "dict", "states_for", "range", "format", "join", "replace", "startswith",
              "endswith", "get", "split", "attr", "selectattr", "rejectattr", "map", "default", "items"}
GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
MARK = "\x00"


def _words(text: str) -> str | None:
    """The text, if it has words that need a translation (after entities, marks and same-in-every-language
    names are taken out)."""
    text = re.sub(r"&[#\w]+;", " ", text.replace(MARK, " "))
    left = [w for w in re.findall(r"[A-Za-z][A-Za-z'’.-]*[A-Za-z]", text) if w not in SAME_IN_EVERY_LANGUAGE]
    return " ".join(text.split()) if left else None


class _Reader(HTMLParser):
    """Collects the text between tags and in the attributes people read, from HTML with marks for the
    template's own output."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value and _words(value):
                self.found.append(f'{name}="{value}"')

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if not self._skip and _words(data):
            self.found.append(" ".join(data.replace(MARK, "…").split()))


def _template_html(node: nodes.Node) -> str:
    """The template's literal HTML in source order, with a mark where the template outputs something."""
    if isinstance(node, nodes.TemplateData):
        return node.data
    if isinstance(node, nodes.Output):
        return "".join(_template_html(child) if isinstance(child, nodes.TemplateData) else MARK
                       for child in node.nodes)
    return "".join(_template_html(child) for child in node.iter_child_nodes())


def _loose_strings(node: nodes.Node, inside_code: bool = False) -> list[str]:
    """String constants in expressions that read as words and aren't given to gettext."""
    if isinstance(node, nodes.Call):
        called = node.node.name if isinstance(node.node, nodes.Name) else (
            node.node.attr if isinstance(node.node, nodes.Getattr) else None)
        if called in GETTEXT:
            return []
        found = []
        for arg in node.args:
            found += _loose_strings(arg, inside_code or called in CODE_CALLS)
        for keyword in node.kwargs:
            found += _loose_strings(keyword.value, inside_code or called in CODE_CALLS or keyword.key in CODE_KEYWORDS)
        return found + _loose_strings(node.node, True)
    if isinstance(node, (nodes.Compare, nodes.Getitem, nodes.Test, nodes.Getattr)):
        inside_code = True
    if isinstance(node, nodes.Filter) and node.name not in ("e", "escape", "safe", "upper", "lower", "title"):
        inside_code = True
    if isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        return []
    if isinstance(node, nodes.Const) and isinstance(node.value, str) and not inside_code:
        value = node.value
        # Words shown to people start with a capital here; lowercase strings are classes, triggers, keys.
        if _words(value) and value.strip()[:1].isupper():
            return [repr(value)]
        return []
    found = []
    for child in node.iter_child_nodes():
        found += _loose_strings(child, inside_code)
    return found


@pytest.fixture(scope="module")
def environment():
    return create_app(app_config("sqlite://")).jinja_env


@pytest.mark.parametrize("path", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")))
def test_a_template_shows_no_text_outside_gettext(environment, path):
    tree = environment.parse((TEMPLATES / path).read_text(), path)
    reader = _Reader()
    reader.feed(_template_html(tree))
    reader.close()
    untranslated = reader.found + _loose_strings(tree)
    assert not untranslated, f"{path}: text outside gettext (wrap it in _() or {{% trans %}}):\n  " + \
        "\n  ".join(untranslated)


def _catalogue(language: str | None = None):
    path = TRANSLATIONS / (f"{language}/LC_MESSAGES/messages.po" if language else "messages.pot")
    with path.open("rb") as file:
        return read_po(file)


def _extracted() -> set:
    """The msgids the code and templates hold now, as `make translations` extracts them."""
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"trimmed": "true"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None,
                "lazy_ngettext": (1, 2)}
    return {message[2] for message in extract_from_dir(ROOT / "crm", method_map, options, keywords)}


def test_the_template_catalogue_holds_every_string_the_code_asks_for():
    wanted = {m if isinstance(m, str) else m[0] for m in _extracted()}
    held = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue() if m.id}
    assert not wanted - held, "Run `make translations`: messages.pot lacks " + repr(sorted(wanted - held)[:20])
    assert not held - wanted, "Run `make translations`: messages.pot keeps " + repr(sorted(held - wanted)[:20])


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def test_the_malay_catalogue_translates_every_string_keeping_its_placeholders():
    malay = _catalogue("ms")
    missing, broken = [], []
    for message in _catalogue():
        if not message.id:
            continue
        translated = malay.get(message.id)
        strings = [translated.string] if translated and isinstance(translated.string, str) else (
            list(translated.string) if translated else [])
        if not translated or not all(strings) or translated.fuzzy:
            missing.append(message.id)
            continue
        source = message.id if isinstance(message.id, str) else message.id[1]
        if any(sorted(set(PLACEHOLDER.findall(s))) != sorted(set(PLACEHOLDER.findall(source))) for s in strings):
            broken.append((message.id, strings))
    assert not missing, f"{len(missing)} strings without a Malay translation, e.g. {missing[:10]}"
    assert not broken, f"Malay translations whose placeholders differ: {broken[:10]}"


def test_the_compiled_malay_catalogue_is_the_one_its_po_file_makes():
    def entries(catalogue):
        as_key = lambda value: tuple(value) if isinstance(value, (list, tuple)) else value  # noqa: E731
        return {as_key(m.id): as_key(m.string) for m in catalogue if m.id and m.string and not m.fuzzy}

    with (TRANSLATIONS / "ms/LC_MESSAGES/messages.mo").open("rb") as file:
        compiled = entries(read_mo(file))
    written = entries(_catalogue("ms"))
    assert compiled == written, "Run `make translations`: messages.mo is older than messages.po"
