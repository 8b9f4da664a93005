"""Catalogues: every message translated to Chinese, .mo compiled when the .po is newer."""

from __future__ import annotations

import os
import shutil

from babel.messages.pofile import read_po

from app.web.i18n import TRANSLATIONS_DIR, compile_translations


def test_every_zh_message_is_translated():
    with (TRANSLATIONS_DIR / "zh/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh")
    untranslated = [m.id for m in catalog if m.id and not m.string]
    assert not untranslated
    for message in catalog:
        if message.id and "%(" in str(message.id):
            for name in ("%(name)s", "%(total)s", "%(greeting)s"):
                if name in message.id:
                    assert name in message.string, message.id


def test_compile_only_when_po_is_newer(tmp_path):
    target = tmp_path / "zh" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(TRANSLATIONS_DIR / "zh/LC_MESSAGES/messages.po", target / "messages.po")
    assert compile_translations(tmp_path) == [target / "messages.mo"]
    assert (target / "messages.mo").stat().st_size > 100
    assert compile_translations(tmp_path) == []  # up to date: nothing to do
    later = (target / "messages.mo").stat().st_mtime + 10
    os.utime(target / "messages.po", (later, later))
    assert compile_translations(tmp_path) == [target / "messages.mo"]


def test_broken_catalogue_is_skipped(tmp_path):
    target = tmp_path / "xx" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "messages.po").write_text('msgid "a"\nmsgstr "unterminated\n')
    compile_translations(tmp_path)  # logs, never raises
