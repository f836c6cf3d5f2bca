"""The message catalogues: every message of the translated pages is in each language's
catalogue, translated, and the compiled .mo the app reads says what the .po says."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "portal" / "translations"
LANGUAGES = sorted(p.name for p in TRANSLATIONS.iterdir() if (p / "LC_MESSAGES").is_dir())


def _po(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


def _extracted() -> set[str]:
    """The messages the code and templates use now (what `pybabel extract -F babel.cfg` finds)."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = extract_from_dir(str(ROOT), method_map, options_map)
    return {message if isinstance(message, str) else message[0] for _, _, message, *_ in found}


def test_spanish_is_offered():
    assert "es" in LANGUAGES
    from portal.i18n import LANGUAGES as OFFERED

    assert set(LANGUAGES) <= set(OFFERED)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    catalogue = _po(language)
    ids = {m.id for m in catalogue if m.id}
    missing = _extracted() - ids
    assert not missing, f"not in the {language} catalogue (run pybabel update): {missing}"
    untranslated = [m.id for m in catalogue if m.id and (not m.string or m.fuzzy)]
    assert not untranslated, untranslated


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    source = {m.id: m.string for m in _po(language) if m.id and not m.fuzzy}
    assert compiled == source, "run `pybabel compile -d portal/translations`"


def test_placeholders_survive_translation():
    for message in _po("es"):
        if message.id and "%(" in message.id:
            for name in ("day", "start", "end"):
                if f"%({name})s" in message.id:
                    assert f"%({name})s" in message.string
