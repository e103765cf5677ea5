"""Sentence repair, title keys and observation caps; and the plugin staying light to import."""

from __future__ import annotations

import os
import subprocess
import sys

from agentcore_wikipedia.text import (
    base_title,
    cap,
    first_sentences,
    merge_fragments,
    normalize_title,
    split_text,
)


def test_title_keys_ignore_case_accents_punctuation_and_url_form() -> None:
    assert normalize_title("Arthur's_Magazine") == "arthurs magazine"
    assert normalize_title("  ARTHUR’S   magazine ") == "arthurs magazine"
    assert normalize_title("Café Society!") == "cafe society"
    assert normalize_title("'Allo 'Allo!") == "allo allo"
    assert normalize_title("?!") == ""
    assert base_title("Tinted Windows (band)") == "Tinted Windows"
    assert base_title("(I Can't Make It) Another Day") == "(I Can't Make It) Another Day"


def test_fragments_split_inside_a_sentence_are_joined() -> None:
    fragments = ["' Allo ' Allo!", " is a BBC sitcom.", " It ran from 1982.", " Flt.", " Lt. Fox."]
    assert merge_fragments(fragments, "'Allo 'Allo!") == [
        "'Allo 'Allo! is a BBC sitcom.",
        "It ran from 1982.",
        "Flt. Lt. Fox.",
    ]


def test_plain_text_is_split_into_sentences_without_breaking_initials() -> None:
    text = (
        "Arthur's Magazine was edited by T. S. Arthur. It printed Poe.\n\n"
        "== History ==\n"
        'It merged in 1846. Readers said "Farewell." Then it closed.'
    )
    assert split_text(text) == [
        "Arthur's Magazine was edited by T. S. Arthur.",
        "It printed Poe.",
        "It merged in 1846.",
        'Readers said "Farewell."',
        "Then it closed.",
    ]


def test_caps_keep_whole_sentences_and_cut_at_words() -> None:
    sentences = ["One two three.", "Four five six.", "Seven eight nine."]
    assert first_sentences(sentences, 5, 500) == "One two three. Four five six. Seven eight nine."
    assert first_sentences(sentences, 2, 500) == "One two three. Four five six."
    assert first_sentences(sentences, 5, 30) == "One two three. Four five six."
    assert first_sentences(sentences, 5, 10) == "One two…"  # the first sentence, cut
    assert cap("short", 10) == "short"


def test_loading_the_plugin_imports_no_network_libraries() -> None:
    code = (
        "import sys\n"
        "from agentcore.plugins import get_plugin_manager\n"
        "pm = get_plugin_manager()\n"
        "assert 'search' in pm.registry.names('tool'), pm.failures\n"
        "heavy = [m for m in ('wikipedia', 'requests', 'bs4', 'urllib3') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    env = {**os.environ, "AGENTCORE_PLUGINS": "wikipedia"}  # judge this plugin alone
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
