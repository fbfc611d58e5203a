"""The house's rooms: each package imports only from the layers below it (README, Layout)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "backplan"

LAYER = {
    "core": 0,
    "defaults": 1,
    "config": 1,
    "accounts": 1,
    "events": 2,
    "appdb": 2,
    "metrics": 3,
    "services": 4,
    "api": 5,
    "cli": 5,
    "web": 5,
}
STORAGE = {"events", "appdb"}
SHELLS = {"api", "cli", "web"}
ALSO_ALLOWED = {("cli", "web")}  # `backplan serve` starts the web app


def imports(*, errors: bool = True) -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) → the modules where it happens; without
    ``errors``, leaving out imports of a package's error classes (``backplan.events.errors``)."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).parts
        if len(parts) == 1:
            continue  # backplan/__init__.py: the package's front door
        here = parts[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = node.module.split(".")
                if not errors and names[-1] == "errors":
                    continue
                if names[0] == "backplan" and len(names) > 1 and names[1] != here:
                    found[(here, names[1])].append(str(path.relative_to(SRC)))
    return found


def test_every_package_is_in_a_layer() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(LAYER)


def test_arrows_point_down_only() -> None:
    upward = {
        f"{a} → {b} ({', '.join(sorted(set(where)))})"
        for (a, b), where in imports().items()
        if LAYER[b] >= LAYER[a] and (a, b) not in ALSO_ALLOWED
    }
    assert upward == set()


def test_shells_never_touch_storage() -> None:
    """A shell may name a storage error it explains (``events.errors``), never the storage."""
    touching = {
        f"{a} → {b} ({', '.join(sorted(set(where)))})"
        for (a, b), where in imports(errors=False).items()
        if a in SHELLS and b in STORAGE
    }
    assert touching == set()


def test_no_module_is_several_modules_in_one() -> None:
    """A use case that outgrows a file becomes a package (STYLE.md): 600 lines is the sign."""
    long = {
        f"{path.relative_to(SRC)} ({n} lines)"
        for path in SRC.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 600
    }
    assert long == set()
