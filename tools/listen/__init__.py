"""Listeners: backends that hear a track and write its caption and TrackSummary."""

from linernotes.tools.listen.base import Listener, ListenResult
from linernotes.tools.listen.factory import make_listener

__all__ = ["ListenResult", "Listener", "make_listener"]
