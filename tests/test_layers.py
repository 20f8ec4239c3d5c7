"""The layers of docs/architecture.md, kept: what each part of crm/ may import, and who commits.

Read from the source (ast), so a new module is judged the day it is added.
"""

import ast
from pathlib import Path

import pytest

CRM = Path(__file__).resolve().parent.parent / "crm"

# The entry points of each area: they read requests or the command line and commit.
ENTRY_POINTS = ("routes.py", "forms.py", "commands.py", "command.py", "jobs.py")
# Where a transaction ends: entry points, and the two places that start a write transaction of their own
# (the transaction runner, and the import's write that first ends its read transaction) or run as a job, and
# the view helper every area's POST views end with (web.saved_then_back).
COMMITTERS = {"services/serial.py", "imports/writing.py", "imports/jobs.py", "imports/undo_jobs.py", "demo/run.py",
              "web.py"}
# What the domain may not import: the web layer and request state.
WEB_MODULES = {"crm.web", "crm.templating", "crm.security", "crm.ratelimit", "crm.forms"}
REQUEST_STATE = {"request", "session", "g", "flash", "render_template", "redirect", "url_for"}


def _modules() -> list[Path]:
    return sorted(p for p in CRM.rglob("*.py") if "__pycache__" not in p.parts)


def _relative(path: Path) -> str:
    return path.relative_to(CRM).as_posix()


def _layer(path: Path) -> str:
    """models, domain (services, the customer registry and writer, the import and demo engines), or web."""
    relative = _relative(path)
    if relative.startswith("models/"):
        return "models"
    if relative.startswith("services/") or relative in {"customers/fields.py", "customers/checks.py",
                                                         "customers/writer.py"}:
        return "domain"
    if relative.startswith(("imports/", "demo/")) and path.name not in ENTRY_POINTS:
        return "domain"
    return "web"


def _imports(path: Path) -> set[str]:
    """Every crm module (absolute dotted name) and flask name the file imports."""
    package = "crm." + ".".join(path.relative_to(CRM).with_suffix("").parts)
    if path.name == "__init__.py":
        package = package.removesuffix(".__init__") + ".__init__"
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:-node.level]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _commits(path: Path) -> list[int]:
    """Lines that call .commit()."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"]


@pytest.mark.parametrize("path", _modules(), ids=_relative)
def test_only_entry_points_commit(path):
    """Views, commands and jobs end the transaction; services and writers only flush, so a caller can put
    several of them in one transaction (and a test can roll them back)."""
    allowed = path.name in ENTRY_POINTS or _relative(path).startswith("customers/views/") \
        or _relative(path) in COMMITTERS
    assert allowed or not _commits(path), f"{_relative(path)} commits at lines {_commits(path)}"


@pytest.mark.parametrize("path", [p for p in _modules() if _layer(p) != "web"], ids=_relative)
def test_domain_and_models_know_nothing_of_the_web(path):
    """Services, the registry, the writer and the models import no view, form or template code and read no
    request state: the order API, the CLI and the jobs use them as the pages do."""
    names = _imports(path)
    web = {name for name in names if name in WEB_MODULES or name.endswith((".routes", ".views", ".forms"))
           or ".views." in name or name.rsplit(".", 1)[-1] in ENTRY_POINTS}
    request_state = {name for name in names if name.startswith("flask.")
                     and name.removeprefix("flask.") in REQUEST_STATE}
    assert not web and not request_state, f"{_relative(path)} imports {sorted(web | request_state)}"


@pytest.mark.parametrize("path", [p for p in _modules() if _layer(p) == "models"], ids=_relative)
def test_models_import_only_models_and_extensions(path):
    """The tables know no service (services know the tables)."""
    crm_names = {name for name in _imports(path) if name.startswith("crm.")}
    outside = {name for name in crm_names if not name.startswith(("crm.models", "crm.extensions"))}
    assert not outside, f"{_relative(path)} imports {sorted(outside)}"
