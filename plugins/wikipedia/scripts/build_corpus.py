"""Rebuild the bundled offline corpus from the shared HotpotQA paragraphs.

Usage (from the repository root)::

    .venv/bin/python plugins/wikipedia/scripts/build_corpus.py [SOURCE.jsonl]

SOURCE defaults to ``../shared/data/hotpotqa/corpus.jsonl``. Records are kept
as they are (``{"title", "sentences"}``; the sentence repairs happen when the
corpus is loaded, so users' own corpora get them too), validated, written in
compact JSON and gzip-compressed with a zero timestamp so that rebuilding the
same source gives byte-identical output.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

PLUGIN = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = PLUGIN.parents[2] / "shared" / "data" / "hotpotqa" / "corpus.jsonl"
TARGET = PLUGIN / "agentcore_wikipedia" / "data" / "corpus.jsonl.gz"


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    lines: list[str] = []
    seen: set[str] = set()
    with source.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            record = json.loads(line)
            title, sentences = record.get("title"), record.get("sentences")
            if not isinstance(title, str) or not isinstance(sentences, list):
                raise SystemExit(f"{source}:{number}: expected {{title, sentences[]}}")
            if title in seen:
                raise SystemExit(f"{source}:{number}: duplicate title {title!r}")
            seen.add(title)
            compact = {"title": title, "sentences": sentences}
            lines.append(json.dumps(compact, ensure_ascii=False, separators=(",", ":")))
    payload = ("\n".join(lines) + "\n").encode("utf-8")
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with (
        TARGET.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as handle,
    ):
        handle.write(payload)
    digest = hashlib.sha256(TARGET.read_bytes()).hexdigest()
    print(f"{len(lines)} pages -> {TARGET} ({TARGET.stat().st_size:,} bytes, sha256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
