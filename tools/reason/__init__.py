"""Reasoners: text backends for understanding requests and judging candidates."""
