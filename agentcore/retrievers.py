"""The interface every retriever implements (RAG and retrieval tools)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from agentcore.models import Document


class Retriever(ABC):
    """Finds the passages most relevant to a query."""

    name: str = "retriever"

    @abstractmethod
    def retrieve(self, query: str, k: int = 5) -> list[Document]:
        """The ``k`` best documents for ``query``, best first."""
