"""The catalog: Chroma collections, track records, vector queries, search."""
