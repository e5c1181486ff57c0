"""The judge chain (describe -> compare -> decide -> explain): rules and LLM judges, facts."""
