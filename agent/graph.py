"""Wiring only: intake -> (offline planner | LLM planner) -> finish, compiled as "linernotes".

Offline: understand -> route -> recommend (retrieve -> judge -> respond) | refine the
playlist (edit, which may go on to retrieve) | explain | describe | chat.
LLM: plan <-> tools until the model answers. Both end in finish. Nodes live in
``agent/nodes_*.py`` and ``agent/planner_llm.py``; run-scoped resources arrive through
``Context``.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from linernotes.agent.nodes_intake import after_intake, finish, intake
from linernotes.agent.nodes_playlist import after_edit, edit
from linernotes.agent.nodes_recommend import judge, respond, retrieve
from linernotes.agent.nodes_rules import route, understand
from linernotes.agent.nodes_talk import chat, describe, explain
from linernotes.agent.planner_llm import after_plan, plan
from linernotes.agent.state import Context, State
from linernotes.agent.tools import make_tool_node


def build_graph(checkpointer: Any = None) -> Any:
    """Compile the agent graph; pass a checkpointer to keep threads across turns."""
    builder = StateGraph(State, context_schema=Context)
    builder.add_node("intake", intake)
    builder.add_node("understand", understand)
    builder.add_node("edit", edit)
    builder.add_node("retrieve", retrieve)
    builder.add_node("judge", judge)
    builder.add_node("respond", respond)
    builder.add_node("explain", explain)
    builder.add_node("describe", describe)
    builder.add_node("chat", chat)
    builder.add_node("plan", plan)
    builder.add_node("tools", make_tool_node())
    builder.add_node("finish", finish)
    builder.add_edge(START, "intake")
    builder.add_conditional_edges("intake", after_intake, ["understand", "plan", "finish"])
    builder.add_conditional_edges(
        "understand", route, ["retrieve", "edit", "explain", "describe", "chat", "finish"]
    )
    builder.add_conditional_edges("edit", after_edit, ["retrieve", "finish"])
    builder.add_edge("retrieve", "judge")
    builder.add_edge("judge", "respond")
    for node in ("respond", "explain", "describe", "chat"):
        builder.add_edge(node, "finish")
    builder.add_conditional_edges("plan", after_plan, ["tools", "finish"])
    builder.add_edge("tools", "plan")
    builder.add_edge("finish", END)
    return builder.compile(checkpointer=checkpointer, name="linernotes")
