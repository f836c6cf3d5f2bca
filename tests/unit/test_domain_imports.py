"""The domain layer loads without the web layer: no service pulls in a blueprint or `portal.web`."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import portal.services

# Everything below the web layer; importing it must not load anything that sits above.
DOMAIN = ["portal.clock", "portal.models", "portal.passwords", "portal.policy"] + [
    f"portal.services.{module.name}" for module in pkgutil.iter_modules(portal.services.__path__)
]
ABOVE = ("portal.web", "portal.auth", "portal.officer", "portal.provider", "portal.admin")
ABOVE += ("portal.cli", "portal.demo")


def _loaded_after_importing(modules: list[str]) -> list[str]:
    """The portal modules loaded by importing `modules`, in a fresh interpreter."""
    # Fresh, because the test session has long since imported the blueprints.
    script = f"import sys, {', '.join(modules)}; print(*(m for m in sys.modules if 'portal' in m))"
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return result.stdout.split()


def test_the_domain_layer_imports_nothing_above_it():
    loaded = _loaded_after_importing(DOMAIN)
    assert "portal.services.accounts" in loaded
    assert [module for module in loaded if module.startswith(ABOVE)] == []


def test_the_check_sees_a_module_above_the_domain():
    # Proves the test above can fail: importing a blueprint loads the web layer.
    assert "portal.web" in _loaded_after_importing(["portal.officer.views"])
