"""Listeners: backends that hear a track and write its caption and TrackSummary."""
