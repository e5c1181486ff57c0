"""The LangGraph agent: state, graph wiring, nodes, traces and evaluation."""
