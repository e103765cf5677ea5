"""The datasets ``agentcore eval`` knows, and a user's JSONL.

A dataset is its items (an id, the input, the reference answer), the metric it is scored
with, and the agent the papers evaluate on it: HotpotQA with ReAct over the offline
Wikipedia corpus (exact match / F1), FEVER with ReAct over an evidence corpus built from the
claims' own evidence sentences (label accuracy), GSM8K with PAL (accuracy on the final
number). The files ship compressed in this package (see ``data/README.md`` for their sources
and licences). A path to a ``.jsonl`` (or ``.jsonl.gz``) file with ``input`` and
``reference`` fields (and an optional ``id``) is a dataset too, scored by the metric given.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from agentcore.plugin import ConfigError, cache_dir

#: The labels a FEVER claim takes, as the ReAct paper's FEVER prompt names them.
FEVER_LABELS = ("SUPPORTS", "REFUTES", "NOT ENOUGH INFO")


class EvalItem(BaseModel):
    """One question: what the agent is given and what it should answer."""

    id: str
    input: str
    reference: str


@dataclass
class Dataset:
    """Items, the metric that scores them, and the agent each kind is run as by default."""

    name: str
    items: list[EvalItem]
    metric: str
    agent: str
    #: ``AgentSpec`` fields per agent kind (``react``: its prompt and tool settings).
    agent_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = ""

    def spec_for(self, agent: str) -> dict[str, Any]:
        """The ``AgentSpec`` fields this dataset runs ``agent`` with (kind included)."""
        return {"kind": agent, **self.agent_specs.get(agent, {})}


def _data_file(name: str) -> Path:
    return Path(str(resources.files("agentcore_eval") / "data" / name))


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{path}:{number}: not JSON ({exc.msg})") from None
                if not isinstance(row, dict):
                    raise ConfigError(f"{path}:{number}: a line must be a JSON object")
                yield number, row
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such dataset file") from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None


def hotpotqa() -> Dataset:
    items = [
        EvalItem(id=row["id"], input=row["question"], reference=row["answer"])
        for _, row in _read_jsonl(_data_file("hotpotqa.jsonl.gz"))
    ]
    return Dataset(
        "hotpotqa", items, metric="f1", agent="react",
        agent_specs={
            "react": {"max_steps": 7}, "tool-calling": {"max_steps": 7},
            "cot": {"prompt": "qa/brief"},
        },
        source="HotpotQA dev, distractor setting (CC BY-SA 4.0)",
    )  # fmt: skip


def gsm8k() -> Dataset:
    items = []
    for number, row in _read_jsonl(_data_file("gsm8k.jsonl.gz")):
        answer = row["answer"].rsplit("####", 1)[-1].strip().replace(",", "")
        items.append(EvalItem(id=f"gsm8k-{number - 1}", input=row["question"], reference=answer))
    return Dataset(
        "gsm8k", items, metric="accuracy", agent="pal",
        agent_specs={"cot": {"prompt": "cot/math"}},
        source="GSM8K test (MIT)",
    )  # fmt: skip


def fever() -> Dataset:
    """The FEVER-Symmetric claims judged against real Wikipedia sentences.

    FEVER-Symmetric pairs each original claim and evidence sentence (id ``N``) with a
    rewritten claim and a counterfactual evidence sentence (ids ``N0000002``-``N0000004``).
    One corpus cannot hold both a sentence and its counterfactual — the page would say two
    opposite things — so the corpus is the original sentences, and the items are the claims
    judged against them: the original claim and the rewritten one (``N0000003``), 354 in
    all, half SUPPORTS and half REFUTES.
    """
    every = [row for _, row in _read_jsonl(_data_file("fever.jsonl.gz"))]
    ids = {str(row["id"]) for row in every}
    originals = [row for row in every if not _counterfactual(str(row["id"]), ids)]
    real = {row["evidence"] for row in originals}
    rows = [row for row in every if row["evidence"] in real]
    items = [
        EvalItem(id=str(row["id"]), input=detokenize(row["claim"]), reference=row["label"])
        for row in rows
    ]
    corpus = fever_corpus(originals)
    return Dataset(
        "fever", items, metric="accuracy", agent="react",
        agent_specs={
            "react": {
                "prompt": "react/fever",
                "max_steps": 5,
                "settings": {"wikipedia": {"corpus": str(corpus)}},
            },
        },
        source="FEVER-Symmetric dev (Wikipedia text, CC BY-SA 3.0); evidence corpus built "
        "from its evidence sentences",
    )  # fmt: skip


def _counterfactual(item_id: str, ids: set[str]) -> bool:
    return item_id[-7:-1] == "000000" and item_id[:-7] in ids


DATASETS = {"hotpotqa": hotpotqa, "fever": fever, "gsm8k": gsm8k}


def user_jsonl(path: Path, metric: str | None) -> Dataset:
    """A user's file: one ``{"input", "reference", "id"?}`` object per line."""
    if metric is None:
        raise ConfigError(f"{path}: give --metric (em, f1, accuracy, rouge, bleu, ...)")
    items, seen = [], set()
    for number, row in _read_jsonl(path):
        row.setdefault("id", f"line-{number}")
        try:
            item = EvalItem(
                id=str(row["id"]), input=row.get("input"), reference=row.get("reference")
            )
        except ValidationError as exc:
            fields = ", ".join(str(e["loc"][0]) for e in exc.errors())
            raise ConfigError(
                f"{path}:{number}: needs string fields input and reference (wrong: {fields})"
            ) from None
        if item.id in seen:
            raise ConfigError(f"{path}:{number}: id {item.id!r} is used twice")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise ConfigError(f"{path}: no items")
    return Dataset(path.name, items, metric=metric, agent="prompt", source=str(path))


def load_dataset(name: str, metric: str | None = None) -> Dataset:
    """A shipped dataset by name, or a user's JSONL by path; ``metric`` overrides its own."""
    if name in DATASETS:
        dataset = DATASETS[name]()
        if metric:
            dataset.metric = metric
        return dataset
    path = Path(name).expanduser()
    if path.suffix in (".jsonl", ".gz") or path.exists():
        return user_jsonl(path, metric)
    raise ConfigError(
        f"no dataset {name!r}: give one of {', '.join(DATASETS)} or a .jsonl file "
        "with input and reference fields"
    )


# -- FEVER's evidence corpus ---------------------------------------------------------------

_SPACED = [(" ,", ","), (" .", "."), (" ;", ";"), (" :", ":"), (" 's", "'s"), (" n't", "n't"),
           ("-LRB- ", "("), (" -RRB-", ")"), ("-LRB-", "("), ("-RRB-", ")"), ("`` ", '"'),
           (" ''", '"'), ("( ", "("), (" )", ")"), (" ?", "?"), (" !", "!")]  # fmt: skip
_NAME_GLUE = frozenset({"of", "the", "and", "de", "del", "della", "da", "von", "van", "la", "le",
                        "du", "des", "y", "&", "-", "on", "in", "for", "at"})  # fmt: skip
_NOT_A_NAME = frozenset({"In", "A", "An", "It", "He", "She", "They", "This", "That", "There",
                         "On", "At", "As", "After", "Before", "During", "His", "Her", "Its",
                         "The"})  # fmt: skip


def detokenize(text: str) -> str:
    """FEVER's tokenised text (``Mary of Teck 's son .``) as plain text."""
    for spaced, plain in _SPACED:
        text = text.replace(spaced, plain)
    return re.sub(r"\s+", " ", text).strip()


def subject_of(text: str) -> str | None:
    """The name a sentence starts with (``Mary of Teck's son`` → ``Mary of Teck``), if any."""
    words = text.replace("'s ", " 's ").split()
    name: list[str] = []
    for word in words:
        if word[:1].isupper() or word[:1].isdigit():
            name.append(word.rstrip(",.;:"))
            if word[-1:] in ",.;:":
                break
        elif word in _NAME_GLUE and name:
            name.append(word)
        else:
            break
    while name and name[-1] in _NAME_GLUE:
        name.pop()
    while len(name) > 1 and (name[0] in _NOT_A_NAME or name[0].isdigit()):
        name.pop(0)  # "In 2004 Paramore was formed": the name is Paramore
    if not name or (len(name) == 1 and name[0] in _NOT_A_NAME):
        return None
    return " ".join(name)


def fever_pages(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One page per evidence sentence's subject: the evidence sentences, titled by the name
    the claims about them (and the sentence itself) most often start with. A claim's own
    words are only used to name the page; what the page says is the evidence alone."""
    names: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        evidence = detokenize(row["evidence"])
        for text, weight in ((row["claim"], 2), (row["evidence"], 1)):  # what claims name first
            name = subject_of(detokenize(text))
            if name:
                names[evidence][name] += weight
    pages: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        evidence = detokenize(row["evidence"])
        if not names[evidence]:
            continue
        title = max(names[evidence].items(), key=lambda kv: (kv[1], len(kv[0]), kv[0]))[0]
        if evidence not in pages[title]:
            pages[title].append(evidence)
    return [{"title": title, "sentences": sentences} for title, sentences in pages.items()]


def fever_corpus(rows: list[dict[str, Any]]) -> Path:
    """The evidence corpus as a file the wikipedia tools read (written once to the cache)."""
    pages = fever_pages(rows)
    text = "".join(json.dumps(page, ensure_ascii=False) + "\n" for page in pages)
    path = cache_dir() / "eval" / f"fever-evidence-{len(pages)}-{_digest(text)}.jsonl"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    return path


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:12]
