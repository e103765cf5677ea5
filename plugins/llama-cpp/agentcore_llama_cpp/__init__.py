"""agentcore backend for GGUF models through llama-cpp-python."""
