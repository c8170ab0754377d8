"""The Chinese catalogue is complete and every translation keeps its placeholders
(a wrong placeholder is a KeyError at run time, not a cosmetic bug)."""

import re
from pathlib import Path

import polib

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%\(\w+\)\.\d+f")


def test_every_message_is_translated_and_not_fuzzy():
    po = polib.pofile(str(PO))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


def test_translations_keep_their_placeholders():
    po = polib.pofile(str(PO))
    wrong = []
    for e in po:
        if e.msgid_plural:
            # Chinese has one plural form; it may leave out the count but adds no new names.
            for text in e.msgstr_plural.values():
                if not set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(e.msgid_plural)):
                    wrong.append(e.msgid)
        elif sorted(PLACEHOLDER.findall(e.msgid)) != sorted(PLACEHOLDER.findall(e.msgstr)):
            wrong.append(e.msgid)
    assert wrong == []
