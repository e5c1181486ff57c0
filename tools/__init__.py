"""Everything the agent calls, and the offline pipeline that feeds it."""
