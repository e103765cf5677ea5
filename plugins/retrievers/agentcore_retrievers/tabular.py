"""Rows as documents: the ``sql`` retriever (a DuckDB query) and the ``csv`` retriever.

A row becomes one Document whose text is ``column: value`` lines (all columns,
or the ``text_columns`` chosen), whose id comes from ``id_column`` (else the
row number) and whose source names the table or file and the row.

``sql``: the query template may use the named parameters ``$query`` (the
question) and ``$k``; then its rows, in its order, are the result (the SQL does
the ranking, e.g. with ``ILIKE`` or a join). A template without ``$query``
returns candidate rows that are ranked by BM25 against the question. The
database is opened read-only. ``csv``: the file's rows are ranked by BM25.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentcore.models import Document
from agentcore.plugin import ConfigError, Retriever
from agentcore_retrievers.chunking import Chunk
from agentcore_retrievers.store import IndexReader, create_schema, write_lexical

_PARAM = re.compile(r"\$(query|k)\b")


def _columns(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [n.strip() for n in names if n.strip()]
    return names or None


class _RowRetriever(Retriever):
    """Turns rows into Documents and ranks them lexically when asked to."""

    def __init__(
        self,
        *,
        text_columns: str | Sequence[str] | None = None,
        id_column: str | None = None,
        title_column: str | None = None,
    ) -> None:
        self.text_columns = _columns(text_columns)
        self.id_column = id_column
        self.title_column = title_column

    def _documents(self, columns: list[str], rows: Sequence[Sequence[Any]], where: str):
        wanted = self.text_columns or columns
        for name in [*wanted, self.id_column, self.title_column]:
            if name is not None and name not in columns:
                raise ConfigError(
                    f"{where} has no column {name!r}; its columns are: {', '.join(columns)}"
                )
        docs = []
        for number, row in enumerate(rows, start=1):
            record = dict(zip(columns, row, strict=True))
            text = "\n".join(f"{c}: {record[c]}" for c in wanted if record[c] not in (None, ""))
            row_id = str(record[self.id_column]) if self.id_column else f"row{number}"
            title = str(record[self.title_column]) if self.title_column else None
            docs.append(
                Document(
                    id=row_id,
                    text=text,
                    source=f"{where}#{row_id}",
                    title=title,
                    metadata={"row": number, "retriever": self.name, "values": record},
                )
            )
        return docs

    def _rank(self, docs: list[Document], query: str, k: int) -> list[Document]:
        """The ``k`` rows best matching ``query`` by BM25 (rows sharing no term are left out)."""
        import duckdb

        con = duckdb.connect(":memory:")
        try:
            create_schema(con, dense=False, dimension=0)
            chunks = [Chunk(d.id, d.source, d.title, 1, 0, len(d.text), d.text) for d in docs]
            write_lexical(con, chunks)
            con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
            scored = IndexReader(":memory:", connection=con).bm25(query, k)
        finally:
            con.close()
        return [docs[cid].model_copy(update={"score": score}) for cid, score in scored]


class SqlRetriever(_RowRetriever):
    """Rows of a query over a DuckDB database, as documents."""

    name = "sql"

    def __init__(
        self,
        database: str | os.PathLike[str] | None = None,
        query: str | None = None,
        **columns: Any,
    ) -> None:
        super().__init__(**columns)
        if database is None or query is None:
            raise ConfigError(
                "the sql retriever needs database=FILE.duckdb and query='SELECT ...' "
                "(the query may use $query and $k)"
            )
        self.database = Path(database).expanduser()
        if not self.database.is_file():
            raise ConfigError(f"sql retriever: database {str(self.database)!r} does not exist")
        self.query = query
        self.params = set(_PARAM.findall(query))

    def retrieve(self, query: str, k: int = 5) -> list[Document]:
        import duckdb

        if k < 1:
            raise ConfigError(f"k must be at least 1, got {k}")
        values = {"query": query, "k": k}
        try:
            con = duckdb.connect(str(self.database), read_only=True)
        except duckdb.Error as exc:
            raise ConfigError(f"sql retriever: cannot open {str(self.database)!r}: {exc}") from None
        try:
            cursor = con.execute(self.query, {p: values[p] for p in self.params} or None)
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        except duckdb.Error as exc:
            raise ConfigError(f"sql retriever: the query failed: {exc}") from None
        finally:
            con.close()
        docs = self._documents(columns, rows, self.database.name)
        if "query" in self.params:
            return docs[:k]
        return self._rank(docs, query, k)


class CsvRetriever(_RowRetriever):
    """Rows of a CSV file (with a header line), ranked by BM25 against the question."""

    name = "csv"

    def __init__(
        self, path: str | os.PathLike[str] | None = None, *, delimiter: str = ",", **columns: Any
    ) -> None:
        super().__init__(**columns)
        if path is None:
            raise ConfigError("the csv retriever needs path=FILE.csv")
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise ConfigError(f"csv retriever: {str(self.path)!r} does not exist")
        self.delimiter = delimiter
        self._cache: tuple[int, list[Document]] | None = None

    def _load(self) -> list[Document]:
        stamp = self.path.stat().st_mtime_ns
        if self._cache is None or self._cache[0] != stamp:
            with self.path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.reader(handle, delimiter=self.delimiter)
                header = next(reader, None)
                if not header:
                    raise ConfigError(f"csv retriever: {str(self.path)!r} has no header line")
                rows = [r for r in reader if any(cell.strip() for cell in r)]
            for number, row in enumerate(rows, start=1):
                if len(row) != len(header):
                    raise ConfigError(
                        f"csv retriever: {self.path}, data row {number}, has {len(row)} fields; "
                        f"the header has {len(header)}"
                    )
            self._cache = (stamp, self._documents(header, rows, self.path.name))
        return self._cache[1]

    def retrieve(self, query: str, k: int = 5) -> list[Document]:
        if k < 1:
            raise ConfigError(f"k must be at least 1, got {k}")
        return self._rank(self._load(), query, k)
