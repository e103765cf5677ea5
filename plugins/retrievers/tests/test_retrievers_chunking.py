"""Chunking: overlapping windows whose offsets point back at the exact text."""

from __future__ import annotations

import itertools

import pytest
from agentcore_retrievers.chunking import chunk_text, sentence_spans, windows, word_spans

from agentcore.errors import ConfigError

TEXT = " ".join(f"w{i:02d}" for i in range(1, 26))  # 25 distinct words


def test_word_chunks_overlap_and_offsets_are_exact() -> None:
    text = "  Intro line.\n\n" + TEXT + "\n"
    chunks = chunk_text(text, doc_id="d", source="d.txt", size=10, overlap=3)
    words = [text[s:e] for s, e in word_spans(text)]  # 27 words in all
    assert [c.passage for c in chunks] == [1, 2, 3, 4]
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert (chunk.doc_id, chunk.source) == ("d", "d.txt")
    split = [c.text.split() for c in chunks]
    assert split[0] == words[0:10] and split[1] == words[7:17] and split[2] == words[14:24]
    assert split[3] == words[21:27]  # the last window is short, and ends at the last word
    for before, after in itertools.pairwise(split):
        assert before[-3:] == after[:3]  # consecutive passages share exactly 3 words
    assert chunks[0].start == 2 and chunks[-1].end == len(text) - 1


def test_every_word_is_in_some_chunk_and_no_chunk_runs_past_the_end() -> None:
    chunks = chunk_text(TEXT, doc_id="d", size=7, overlap=2)
    covered = set()
    for chunk in chunks:
        covered.update(chunk.text.split())
    assert covered == set(TEXT.split())
    assert chunk_text(TEXT, doc_id="d", size=100, overlap=10)[0].text == TEXT
    assert chunk_text("   \n ", doc_id="empty") == []


def test_sentence_chunks_keep_sentences_whole() -> None:
    text = (
        "# Title\n\n- Plaintiff: Ada Lovelace\n- Defendant: Charles Babbage\n\n"
        'The engine failed. "Why?" asked the court! It was the\ngears.\nA final note.'
    )
    spans = [text[s:e] for s, e in sentence_spans(text)]
    assert spans == [
        "# Title",
        "- Plaintiff: Ada Lovelace",
        "- Defendant: Charles Babbage",
        "The engine failed.",
        '"Why?"',
        "asked the court!",
        "It was the\ngears.",  # a line wrapped inside a sentence does not end it
        "A final note.",
    ]
    chunks = chunk_text(text, doc_id="d", size=3, overlap=1, unit="sentences")
    assert [c.text for c in chunks][:2] == [
        "# Title\n\n- Plaintiff: Ada Lovelace\n- Defendant: Charles Babbage",
        '- Defendant: Charles Babbage\n\nThe engine failed. "Why?"',
    ]
    assert all(text[c.start : c.end] == c.text for c in chunks)


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (5, 5), (5, 7), (3, -1)])
def test_windows_that_cannot_advance_are_refused(size: int, overlap: int) -> None:
    with pytest.raises(ConfigError):
        windows([(0, 1)], size, overlap)


def test_unknown_unit_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown chunk unit"):
        chunk_text("a b", doc_id="d", unit="paragraphs")  # type: ignore[arg-type]
