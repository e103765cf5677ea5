"""agentcore backend for causal language models through Hugging Face transformers (CPU)."""
