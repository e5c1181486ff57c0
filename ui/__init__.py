"""The faces of linernotes: the ``linernotes`` command line and the Gradio app."""
