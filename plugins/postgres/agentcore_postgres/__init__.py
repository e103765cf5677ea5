"""agentcore-postgres: the ``postgresql`` run store (``agentcore serve`` replicas sharing one)."""
