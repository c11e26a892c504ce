"""The local orchestrator: a manager (router) and five agents that answer from the warehouse, no LLM."""
