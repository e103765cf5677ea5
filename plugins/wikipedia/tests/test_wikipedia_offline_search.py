"""The offline backend: the bundled corpus, title matching, ranking, user corpora."""

from __future__ import annotations

import gzip
import json
import zipfile
from importlib import resources
from pathlib import Path

import pytest
from agentcore_wikipedia.corpus import load_bundled, load_path
from agentcore_wikipedia.offline import OfflineWiki, offline_wiki
from agentcore_wikipedia.tools import search

from agentcore.errors import ConfigError

PLUGIN_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wiki() -> OfflineWiki:
    return offline_wiki()


# --- the corpus ships inside the package -------------------------------------------------


def test_corpus_is_package_data_loaded_through_importlib_resources() -> None:
    resource = resources.files("agentcore_wikipedia").joinpath("data/corpus.jsonl.gz")
    with resource.open("rb") as handle:
        assert handle.read(2) == b"\x1f\x8b"  # gzip
    corpus = load_bundled()
    assert len(corpus) == 10_787
    titles = {page.title for page in corpus.pages}
    assert {"Arthur's Magazine", "First for Women", "'Allo 'Allo!"} <= titles
    licence = resources.files("agentcore_wikipedia").joinpath("data/DATA_LICENSE.md").read_text()
    assert "CC BY-SA 4.0" in licence and "HotpotQA" in licence and "693b411" in licence


def test_wheel_contains_the_corpus_and_its_licence(tmp_path: Path) -> None:
    from hatchling.builders.wheel import WheelBuilder

    wheel = Path(next(iter(WheelBuilder(str(PLUGIN_ROOT)).build(directory=str(tmp_path)))))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "agentcore_wikipedia/data/corpus.jsonl.gz" in names
        assert "agentcore_wikipedia/data/DATA_LICENSE.md" in names
        packed = archive.read("agentcore_wikipedia/data/corpus.jsonl.gz")
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "wikipedia = agentcore_wikipedia.plugin" in archive.read(entry_points).decode()
    first = json.loads(gzip.decompress(packed).splitlines()[0])
    assert set(first) == {"title", "sentences"}


# --- title matching ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entity",
    [
        "Arthur's Magazine",
        "arthur's magazine",
        "ARTHURS MAGAZINE",
        "Arthur's_Magazine",
        "  Arthur’s   Magazine ",
        '"Arthur\'s Magazine"',
    ],
)
def test_titles_match_ignoring_case_punctuation_and_spacing(wiki: OfflineWiki, entity: str) -> None:
    assert wiki.search(entity).title == "Arthur's Magazine"


def test_accents_and_punctuation_in_titles(wiki: OfflineWiki) -> None:
    assert wiki.search("Allo Allo").title == "'Allo 'Allo!"
    assert wiki.search("'allo 'allo!").title == "'Allo 'Allo!"


def test_a_single_disambiguated_title_is_the_page(wiki: OfflineWiki) -> None:
    outcome = wiki.search("David Croft")
    assert outcome.title == "David Croft (TV producer)"
    assert "English writer, producer and director" in outcome.sentences[0]


def test_several_disambiguated_titles_come_first_in_similar(wiki: OfflineWiki) -> None:
    outcome = wiki.search("Tinted Windows")
    assert not outcome.found
    assert outcome.similar[:2] == ("Tinted Windows (album)", "Tinted Windows (band)")
    wrong_suffix = wiki.search("Tinted Windows (group)")
    assert wrong_suffix.similar[:2] == ("Tinted Windows (album)", "Tinted Windows (band)")


# --- ranking for "Similar:" -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Arthurs Magazin", "Arthur's Magazine"),  # misspelled
        ("Frist for Women", "First for Women"),  # transposed letters
        ("First for Wom", "First for Women"),  # partial title
        ("Bone Cabin", "Bone Cabin Quarry"),  # leading words
    ],
)
def test_misspelled_or_partial_titles_suggest_the_right_page_first(
    wiki: OfflineWiki, query: str, expected: str
) -> None:
    outcome = wiki.search(query)
    assert not outcome.found
    assert outcome.similar[0] == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("magazine for women published by Bauer Media", "First for Women"),
        ("sitcom in a cafe in German-occupied France", "'Allo 'Allo!"),
        ("supergroup James Iha Taylor Hanson", "Tinted Windows (band)"),
    ],
)
def test_descriptions_find_the_page_by_full_text(
    wiki: OfflineWiki, query: str, expected: str
) -> None:
    assert expected in wiki.search(query).similar[:3]


def test_similar_is_limited_and_without_duplicates(wiki: OfflineWiki) -> None:
    outcome = wiki.search("British television sitcom", similar=4)
    assert len(outcome.similar) == 4
    assert len(set(outcome.similar)) == 4


def test_index_is_built_once_and_reported(wiki: OfflineWiki) -> None:
    wiki.search("an unknown thing about rivers")
    built = wiki.index_build_s
    assert built is not None and built > 0
    wiki.search("another unknown thing about mountains")
    assert wiki.index_build_s == built
    assert offline_wiki() is wiki  # one backend per corpus per process


# --- sentences are repaired when rendered ----------------------------------------------------


def test_corpus_sentence_fragments_are_rejoined(wiki: OfflineWiki) -> None:
    allo = wiki.search("'Allo 'Allo!").sentences
    assert allo[0].startswith("'Allo 'Allo! is a BBC television British sitcom")
    assert any("\"'Allo, 'Allo!\" was created by David Croft" in s for s in allo)
    croft = wiki.search("David Croft").sentences
    assert croft[1].endswith('"Hi-de-Hi!" and "\'Allo \'Allo!".')
    collins = wiki.search("John D. Collins").sentences
    assert "he played Flt. Lt. Fairfax, a stranded British airman" in collins[0]
    assert all(s == s.strip() and "  " not in s for s in allo + croft + collins)


# --- a user's own corpus -----------------------------------------------------------------------


def test_corpus_setting_loads_a_users_jsonl(tmp_path: Path, make_context) -> None:
    plain = tmp_path / "mini.jsonl"
    plain.write_text(
        json.dumps({"title": "Zorblax", "sentences": ["Zorblax is a moon.", " It is cold."]})
        + "\n"
        + json.dumps({"title": "Quuxville", "text": "Quuxville is a town. It was founded in 1901."})
        + "\n",
        encoding="utf-8",
    )
    packed = tmp_path / "mini.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, packed):
        ctx = make_context(corpus=str(path))
        assert search.invoke("zorblax", ctx).observation == "Zorblax is a moon. It is cold."
        assert search.invoke("Quuxville", ctx).observation == (
            "Quuxville is a town. It was founded in 1901."
        )
        assert search.invoke("Arthur's Magazine", ctx).observation.startswith(
            "Could not find Arthur's Magazine."
        )


def test_a_broken_corpus_is_a_clear_configuration_error(tmp_path: Path, make_context) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"title": "Ok", "sentences": ["Fine."]}\n{"title": 3}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.jsonl, line 2: expected an object"):
        load_path(broken)
    result = search.invoke("Ok", make_context(corpus=str(tmp_path / "missing.jsonl")))
    assert (result.ok, result.error_kind) == (False, "config")
    assert "missing.jsonl' does not exist" in result.observation


QUESTION = (
    "Who designed the first theoretical mechanism for the detonation of an atomic bomb and "
    "was part of the group of scientists who first discovered nuclear fission?"
)


def test_the_question_as_context_ranks_pages_about_it_higher(wiki: OfflineWiki) -> None:
    alone = wiki.search("atomic bomb").similar
    asked = wiki.search("atomic bomb", context=QUESTION).similar
    assert asked.index("Otto Robert Frisch") < alone.index("Otto Robert Frisch")
    assert wiki.search("First for Women", context=QUESTION).title == "First for Women"


def test_the_search_tool_passes_the_question_only_with_rank_by_question() -> None:
    from agentcore.tools import ToolContext

    paper = ToolContext(task=QUESTION, settings={"wikipedia": {"best_match": False}})
    best = ToolContext(task=QUESTION, settings={"wikipedia": {"rank_by_question": True}})
    assert search.invoke("atomic bomb", paper).data["similar"] == list(
        offline_wiki().search("atomic bomb").similar
    )
    assert search.invoke("atomic bomb", best).data["similar"] == list(
        offline_wiki().search("atomic bomb", context=QUESTION).similar
    )
