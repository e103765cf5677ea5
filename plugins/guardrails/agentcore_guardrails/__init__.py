"""agentcore-guardrails: a constitution, prompt-injection checks, a tool deny-list, PII redaction.

The plugin implements the engine's guardrail hooks (:mod:`agentcore_guardrails.plugin`); each
guardrail is off until the run's ``guardrails`` settings turn it on.
"""
