"""The shape of the package, checked from its source: layers, cycles, and one policy module.

- Lower layers (the clock, models, the policy, services) never import the web layer, the
  auth views or a role blueprint.
- The import graph of `portal/` (every import, inside functions too) has no cycle.
- No module but `portal/policy.py` decides by comparing a role.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "portal"
POLICY = "portal.policy"

# Modules (and packages, with everything under them) each layer is made of.
LOWER = (
    "portal.clock",
    "portal.config",
    "portal.extensions",
    "portal.database",
    "portal.log_safety",
    "portal.encryption",
    "portal.models",
    "portal.passwords",
    "portal.policy",
    "portal.services",
)
UPPER = (
    "portal.web",
    "portal.auth",
    "portal.officer",
    "portal.provider",
    "portal.admin",
    "portal.cli",
    "portal.demo",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def import_graph() -> dict[str, set[str]]:
    """Each portal module and the portal modules it imports (explicitly, anywhere in the file)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    targets.append(submodule if submodule in modules else base)
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_real_imports():
    graph = import_graph()
    assert "portal.services.cases" in graph["portal.admin.views"]
    assert "portal.policy" in graph["portal.services.cases"]


def test_lower_layers_never_import_the_web_layer():
    violations = [
        f"{name} imports {target}"
        for name, targets in import_graph().items()
        if _within(name, LOWER)
        for target in sorted(targets)
        if _within(target, UPPER)
    ]
    assert violations == []


def test_the_import_graph_has_no_cycle():
    assert _cycles(import_graph()) == []


def test_a_cycle_would_be_found():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _is_role_constant(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in {"Role", "StaffRole"}
        and node.attr.isupper()
    )


def _role_comparisons(source: str, filename: str) -> list[int]:
    """Lines comparing something with a role constant (`x.role == Role.STAFF`, `in (Role.A,)`)."""
    lines = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for operand in list(operands):
            if isinstance(operand, ast.Tuple | ast.List | ast.Set):
                operands.extend(operand.elts)
        if any(_is_role_constant(o) for o in operands):
            lines.append(node.lineno)
    return lines


def test_no_module_but_the_policy_compares_roles():
    found = {
        name: lines
        for name, path in _modules().items()
        if name != POLICY and (lines := _role_comparisons(path.read_text(), str(path)))
    }
    assert found == {}


@pytest.mark.parametrize(
    "source",
    [
        "user.role == Role.STAFF",
        "Role.OFFICER != actor.role",
        "current_user.role in (Role.STAFF, Role.PROVIDER)",
        "StaffRole.REPORTS in user.staff_roles",
    ],
)
def test_a_role_comparison_would_be_found(source):
    assert _role_comparisons(source, "<test>") == [1]


TEMPLATE_ROLE_CHECK = re.compile(r"\.role(\.value)?\s*(==|!=|\bin\b|\bnot in\b)")


def test_no_template_compares_roles():
    found = [
        str(path.relative_to(PACKAGE))
        for path in (PACKAGE / "templates").rglob("*.html")
        if TEMPLATE_ROLE_CHECK.search(path.read_text())
    ]
    assert found == []
