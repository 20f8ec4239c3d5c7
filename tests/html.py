"""Read a rendered page the way its users do: fields by label, links and buttons by name, elements by id.

The accessible names in docs/ui-contract.md are the public interface; markup details (attribute order,
whitespace, escaping, classes) are not. Client tests that look elements up here keep passing when a template
is reformatted and fail when what a user or a screen reader meets changes. Built on the standard library's
html.parser; names follow the ARIA rules the browser tests' get_by_role relies on, simplified to the markup
this app writes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
LABELLABLE = {"input", "select", "textarea", "button", "meter", "output", "progress"}
TAG_ROLES = {"button": "button", "nav": "navigation", "main": "main", "table": "table", "tr": "row",
             "td": "cell", "ul": "list", "ol": "list", "li": "listitem", "form": "form", "img": "img",
             "progress": "progressbar", "option": "option", "fieldset": "group", "dialog": "dialog",
             "textarea": "textbox", "aside": "complementary", "output": "status", "dl": "list",
             "p": "paragraph", **{f"h{n}": "heading" for n in range(1, 7)}}
INPUT_ROLES = {"checkbox": "checkbox", "radio": "radio", "submit": "button", "button": "button",
               "reset": "button", "image": "button", "search": "searchbox", "range": "slider",
               "number": "spinbutton"}
BLOCK = {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figure",
         "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
         "section", "table", "td", "th", "tr", "ul"}
NAMED_BY_CONTENT = {"link", "button", "heading", "tab", "cell", "columnheader", "rowheader", "row", "option",
                    "listitem", "checkbox", "radio", "menuitem", "switch", "tooltip", "status", "alert"}

LIST_INPUTS = ("text", "search", "email", "tel", "url")


def squeeze(text: str) -> str:
    """Whitespace collapsed as a browser shows it."""
    return " ".join(text.split())


class Element:
    """One element of the parsed page, with its attributes (entities already decoded) and children."""

    def __init__(self, tag: str, attrs: dict[str, str], parent: Element | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    def __repr__(self) -> str:
        attrs = "".join(f' {k}="{v}"' for k, v in self.attrs.items())
        return f"<{self.tag}{attrs}>"

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def get(self, name: str, default: str | None = None) -> str | None:
        """An attribute's value (None when it is absent)."""
        return self.attrs.get(name, default)

    @property
    def root(self) -> Element:
        element = self
        while element.parent is not None:
            element = element.parent
        return element

    @property
    def raw_text(self) -> str:
        """The text inside, exactly as written (a textarea's value)."""
        return "".join(c if isinstance(c, str) else c.raw_text for c in self.children)

    @property
    def text(self) -> str:
        """The text inside, whitespace collapsed."""
        return squeeze(self.raw_text)

    @property
    def elements(self) -> list[Element]:
        """The elements directly inside, text left out (for a parsed htmx fragment: its top-level elements)."""
        return [child for child in self.children if isinstance(child, Element)]

    def iter(self):
        """Every element below this one, in document order."""
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str | bool) -> list[Element]:
        """Elements below with this tag and attributes (class_ for class; True: present with any value)."""
        wanted = {key.rstrip("_").replace("_", "-"): value for key, value in attrs.items()}
        return [e for e in self.iter() if (tag is None or e.tag == tag) and all(
            (name in e.attrs) if value is True else e.attrs.get(name) == value for name, value in wanted.items())]

    def find(self, tag: str | None = None, **attrs: str | bool) -> Element | None:
        """The first element find_all would give, or None."""
        return next(iter(self.find_all(tag, **attrs)), None)

    def by_id(self, element_id: str) -> Element:
        """The element with this id (there must be exactly one)."""
        return _one(self.root.find_all(id=element_id), f"id={element_id!r}")

    def has_id(self, element_id: str) -> bool:
        """Whether an element with this id is on the page."""
        return bool(self.root.find_all(id=element_id))

    # --- roles and names

    @property
    def role(self) -> str | None:
        """The explicit role, or the one the tag implies."""
        if self.get("role"):
            return self["role"].split()[0]
        if self.tag == "a":
            return "link" if "href" in self.attrs else None
        if self.tag == "input" and "list" in self.attrs and self.get("type", "text") in LIST_INPUTS:
            return "combobox"  # a text input with suggestions (a datalist), as HTML-AAM maps it
        if self.tag == "input":
            return INPUT_ROLES.get(self.get("type", "text"), None if self.get("type") == "hidden" else "textbox")
        if self.tag == "select":
            return "listbox" if "multiple" in self.attrs else "combobox"
        if self.tag == "th":
            return "rowheader" if self.get("scope") == "row" else "columnheader"
        if self.tag == "section":
            return "region" if self.get("aria-label") or self.get("aria-labelledby") else None
        return TAG_ROLES.get(self.tag)

    @property
    def name(self) -> str:
        """The accessible name: aria-labelledby, aria-label, a label, alt or legend, else the text inside."""
        if self.get("aria-labelledby"):
            return squeeze(" ".join(self.by_id(i).content_name() for i in self["aria-labelledby"].split()))
        if self.get("aria-label", "").strip():
            return squeeze(self["aria-label"])
        if self.tag in LABELLABLE and self.get("type") not in ("submit", "button", "reset"):
            labels = [label for label in self.root.find_all("label", **{"for": self.get("id")})] if self.get("id") else []
            labels += [a for a in self.ancestors() if a.tag == "label"]
            if labels:
                return squeeze(" ".join(label.content_name() for label in labels))
        if self.tag == "input" and self.get("type") in ("submit", "button", "reset"):
            return squeeze(self.get("value", "Submit" if self.get("type") == "submit" else ""))
        if self.tag in ("img", "area") or (self.tag == "input" and self.get("type") == "image"):
            return squeeze(self.get("alt", ""))
        if self.tag in ("fieldset", "table"):
            caption = self.find("legend" if self.tag == "fieldset" else "caption")
            if caption is not None:
                return caption.content_name()
        if self.role in NAMED_BY_CONTENT:
            return self.content_name()
        return squeeze(self.get("title", ""))

    @property
    def description(self) -> str:
        """The accessible description: the texts of the elements aria-describedby names, in that order."""
        ids = (self.get("aria-describedby") or "").split()
        return squeeze(" ".join(self.by_id(i).content_name() for i in ids))

    def content_name(self) -> str:
        """The name made of what is inside: text and the names of named children, hidden parts left out."""
        return squeeze(self._content())

    def _content(self) -> str:
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.get("aria-hidden") != "true" and "hidden" not in child.attrs:
                named = child.get("aria-label") or (child.get("alt") if child.tag == "img" else None)
                inner = f" {named} " if named else child._content()
                parts.append(f" {inner} " if child.tag in BLOCK else inner)
        return "".join(parts)

    def ancestors(self):
        """The elements this one is inside, nearest first."""
        element = self.parent
        while element is not None:
            yield element
            element = element.parent

    def all_by_role(self, role: str, name: str | re.Pattern | None = None) -> list[Element]:
        """Elements below with this role, and this exact accessible name (or one the pattern finds) if given."""
        return [e for e in self.iter() if e.role == role and _matches(e.name, name)]

    def by_role(self, role: str, name: str | re.Pattern | None = None) -> Element:
        """The one element below with this role (and name)."""
        return _one(self.all_by_role(role, name), f"role={role!r} name={name!r}")

    def field(self, label: str | re.Pattern) -> Element:
        """The input, select or textarea labelled so (by <label for>, a wrapping label or aria-label)."""
        fields = [e for e in self.iter() if e.tag in ("input", "select", "textarea") and _matches(e.name, label)]
        return _one(fields, f"field labelled {label!r}")

    def link(self, name: str | re.Pattern) -> Element:
        """The one link with this accessible name (its text or aria-label)."""
        return self.by_role("link", name)

    def links(self) -> list[tuple[str, str]]:
        """Every link below as (accessible name, href)."""
        return [(e.name, e["href"]) for e in self.all_by_role("link")]

    def button(self, name: str | re.Pattern) -> Element:
        """The one button with this accessible name."""
        return self.by_role("button", name)

    def heading(self, name: str | re.Pattern) -> Element:
        """The one heading with this text."""
        return self.by_role("heading", name)

    def rows(self) -> list[list[str]]:
        """Each table row below as the texts of its cells (header rows included)."""
        return [[cell.text for cell in row.iter() if cell.tag in ("td", "th")] for row in self.find_all("tr")]

    @property
    def value(self) -> str:
        """What a form control holds: an input's value, a textarea's text, a select's chosen option."""
        if self.tag == "textarea":
            return self.raw_text.removeprefix("\n")
        if self.tag == "select":
            options = self.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs] or options[:1]
            return chosen[0].get("value", chosen[0].text) if chosen else ""
        return self.get("value", "")

    @property
    def invalid(self) -> bool:
        """Whether the control is marked aria-invalid."""
        return self.get("aria-invalid") == "true"

    @property
    def form(self) -> Element:
        """The form this element is in."""
        return next(a for a in self.ancestors() if a.tag == "form")

    def form_data(self) -> dict[str, str]:
        """The values a browser would send for the controls below (checked boxes only; buttons left out)."""
        data = {}
        for control in self.iter():
            name, kind = control.get("name"), control.get("type", "text")
            if not name or "disabled" in control.attrs or control.tag not in ("input", "select", "textarea"):
                continue
            if control.tag == "input" and kind in ("submit", "button", "reset", "image", "file"):
                continue
            if kind in ("checkbox", "radio") and control.tag == "input":
                if "checked" in control.attrs:
                    data[name] = control.get("value", "on")
                continue
            data[name] = control.value
        return data


class _Builder(HTMLParser):
    """Turns markup into an Element tree, closing elements the way the markup closes them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.open = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v if v is not None else "" for k, v in attrs}, self.open[-1])
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.open.pop()

    def handle_endtag(self, tag):
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return

    def handle_data(self, data):
        self.open[-1].children.append(data)


def parse(markup: str | bytes) -> Element:
    """The page (or htmx fragment) as a tree; query it with by_id, field, link, button, by_role, rows."""
    builder = _Builder()
    builder.feed(markup.decode() if isinstance(markup, bytes) else markup)
    builder.close()
    return builder.root


def page(response) -> Element:
    """A test client response's body, parsed."""
    return parse(response.get_data(as_text=True))


def _matches(actual: str, wanted: str | re.Pattern | None) -> bool:
    if wanted is None:
        return True
    if isinstance(wanted, re.Pattern):
        return wanted.search(actual) is not None
    return actual == squeeze(wanted)


def _one(found: list[Element], what: str) -> Element:
    assert len(found) == 1, f"expected one element with {what}, found {len(found)}: {found[:5]}"
    return found[0]
