"""OpenAI-compatible endpoints: a streaming client, one-shot probes and load runs."""
