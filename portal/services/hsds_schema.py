"""The HSDS 3.0 schema the directory file is checked against: the specification's own files,
vendored in `portal/data/hsds/3.0.0/` (see the README there), read once, never fetched.

The specification's objects let a publisher add fields of their own; this portal refuses them
(a misspelt field would otherwise be dropped without a word), so every object of the schema is
closed here, in memory, on a copy: the vendored files stay as published.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HSDS_VERSION = "3.0.0"
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "data" / "hsds" / HSDS_VERSION
# The identifiers the files are known by (the specification's own openapi.json names them
# at this address); they are looked up in the registry below only, never on the network.
BASE_URI = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
DOCUMENT_URI = f"{BASE_URI}lead-portal-directory.json"

# The file as a whole: the organisations and the services of the directory, each an HSDS
# object (the organisation and service schemas of the specification).
DOCUMENT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": DOCUMENT_URI,
    "type": "object",
    "properties": {
        "organizations": {"type": "array", "items": {"$ref": "organization.json"}},
        "services": {"type": "array", "items": {"$ref": "service.json"}},
    },
    "required": ["organizations", "services"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Problem:
    """Why a file was refused: where (a JSON path such as `$.services[0].name`) and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def closed(schema):
    """A copy of `schema` in which every object with listed properties takes no others."""
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: closed(value) for key, value in schema.items()}
    if isinstance(schema.get("properties"), dict) and "additionalProperties" not in schema:
        result["additionalProperties"] = False
    return result


def schema_files() -> dict[str, dict]:
    """The vendored files by name (`service.json`: its contents)."""
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(SCHEMA_DIR.glob("*.json"))
    }


@cache
def validator() -> Draft202012Validator:
    """A validator of the whole file, its `$ref`s resolved from the vendored files alone."""
    resources = [
        (f"{BASE_URI}{name}", Resource.from_contents(closed(contents), DRAFT202012))
        for name, contents in schema_files().items()
    ]
    registry = Registry().with_resources(resources).crawl()
    return Draft202012Validator(
        copy.deepcopy(DOCUMENT_SCHEMA),
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _problems_of(error) -> list[Problem]:
    path = error.json_path
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        return [
            Problem(f"{path}.{key}", "unknown field (HSDS 3.0 has no such field here)")
            for key in sorted(error.instance)
            if key not in known
        ]
    if error.validator == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        return [Problem(f"{path}.{key}", "required field missing") for key in missing]
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return [Problem(path, f"must be a {expected}, not {_short(error.instance)}")]
    if error.validator == "enum":
        allowed = ", ".join(json.dumps(v) for v in error.validator_value)
        return [Problem(path, f"{_short(error.instance)} is not one of {allowed}")]
    if error.validator == "format":
        return [Problem(path, f"{_short(error.instance)} is not a valid {error.validator_value}")]
    return [Problem(path, error.message)]


def schema_problems(document) -> list[Problem]:
    """Every way `document` departs from the schema, in the order of the file."""
    errors = sorted(validator().iter_errors(document), key=lambda e: list(map(str, e.path)))
    problems: list[Problem] = []
    for error in errors:
        problems.extend(_problems_of(error))
    return problems
