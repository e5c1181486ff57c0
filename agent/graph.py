"""Wiring only: understand -> (retrieve -> judge ->) respond, compiled as "linernotes".

Nodes live in ``agent/nodes.py``; run-scoped resources arrive through ``Context``.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from agent.nodes import judge, respond, retrieve, route, understand
from agent.state import Context, State


def build_graph(checkpointer: Any = None) -> Any:
    """Compile the agent graph; pass a checkpointer to keep threads across turns."""
    builder = StateGraph(State, context_schema=Context)
    builder.add_node("understand", understand)
    builder.add_node("retrieve", retrieve)
    builder.add_node("judge", judge)
    builder.add_node("respond", respond)
    builder.add_edge(START, "understand")
    builder.add_conditional_edges("understand", route, ["retrieve", "respond"])
    builder.add_edge("retrieve", "judge")
    builder.add_edge("judge", "respond")
    builder.add_edge("respond", END)
    return builder.compile(checkpointer=checkpointer, name="linernotes")
