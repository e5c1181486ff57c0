"""The catalog tab: what the catalog holds, which backends made it, a quick text search.

Backends are shown by name *and* model or embedding space, so a curator can tell an
offline MIR caption from an Audio LLM's and a rules verdict from a language model's.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from linernotes.tools.settings import Settings
from linernotes.ui import app_views as views
from linernotes.ui.app_services import Services


def catalog_tab(app: gr.Blocks, tab: gr.Tab, settings: Settings, services: Services) -> None:
    """Stats, the backends in use with their models, and a quick text search."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):
            gr.Markdown("### What the catalog holds")
            stats = gr.HTML(elem_id="ln-stats")
            refresh = gr.Button("Refresh", size="sm")
            gr.Markdown("### Backends in use")
            backends = gr.Dataframe(
                headers=["role", "backend", "model / space"],
                interactive=False,
                elem_id="ln-backends",
            )
        with gr.Column(scale=1):
            gr.Markdown("### Search by description (fast path, no judging)")
            with gr.Row():
                query = gr.Textbox(
                    placeholder="calm piano, no drums",
                    show_label=False,
                    scale=4,
                    elem_id="ln-search",
                )
                k = gr.Number(value=10, minimum=1, maximum=100, precision=0, show_label=False)
            go = gr.Button("Search", variant="primary", size="sm")
            hits = gr.Dataframe(
                headers=["#", "title", "similarity", "id"], interactive=False, elem_id="ln-hits"
            )

    def show_stats() -> tuple[str, list[list[str]]]:
        data = services.catalog().stats()
        return views.stats_html(data), views.backend_rows(settings, data)

    def run_search(text: str, count: float) -> list[list[Any]]:
        from linernotes.tools.catalog.search import search_words, to_hits

        if not (text or "").strip():
            return []
        catalog = services.catalog()
        found = search_words(catalog, text, int(count or 10), backends=services.backends())
        return views.hit_rows(to_hits(catalog, found))

    app.load(show_stats, None, [stats, backends])
    tab.select(show_stats, None, [stats, backends])  # thumbs given since load show up
    refresh.click(show_stats, None, [stats, backends])
    go.click(run_search, [query, k], [hits])
    query.submit(run_search, [query, k], [hits])
