"""Embedding backends, one per file, built by the factories in ``tools.embed.factory``."""
