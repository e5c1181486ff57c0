"""Ingest: discover audio files, analyse, embed, caption and write them to the catalog."""
