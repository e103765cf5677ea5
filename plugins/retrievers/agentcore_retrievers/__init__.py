"""Retrievers for agentcore: BM25, dense, hybrid, SQL and CSV; an index builder; a tool."""
