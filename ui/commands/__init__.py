"""One module per ``linernotes`` sub-command group; each exposes ``register(subparsers)``."""
