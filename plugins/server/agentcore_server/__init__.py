"""``agentcore serve``: configured agents over a versioned REST API (FastAPI on uvicorn).

Runs execute in a bounded pool of worker threads, each with its own instance of every agent
it runs (an in-process model is never shared by two concurrent runs); their events stream as
Server-Sent Events; API keys are stored hashed with argon2. Nothing here loads until the
``serve`` or ``keys`` command runs.
"""
