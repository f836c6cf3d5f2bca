"""The provider front door's modules stand side by side: what they share lives in services."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.unit.test_architecture import import_graph

ROOT = Path(__file__).resolve().parents[2]
VIEWS = ("portal.provider.views", "portal.provider.session_views", "portal.provider.service_views")


def test_provider_view_modules_do_not_import_each_other():
    graph = import_graph()
    assert {name: graph[name] & set(VIEWS) for name in VIEWS} == {name: set() for name in VIEWS}


def test_services_do_not_read_the_signed_in_user():
    """Services take an explicit actor: none imports Flask-Login or reads `current_user`."""
    found = []
    for path in sorted((ROOT / "portal" / "services").rglob("*.py")):
        source = path.read_text()
        for node in ast.walk(ast.parse(source, str(path))):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if (module or "").startswith("flask_login") or any(
                n.startswith("flask_login") for n in names
            ):
                found.append(path.name)
        if "current_user" in source:
            found.append(path.name)
    assert found == []
