"""The curator's web UI: chat with thoughts, playable pick cards, playlist, catalog panel.

``build_app(settings)`` only lays out components and wires handlers; it opens nothing, so
it builds in a test without a catalog. The agent and the catalog come through
``Services`` (``agent.run`` by default, fakes in tests). ``launch`` warms the agent first
(the first answer then takes milliseconds, not the seconds a cold catalog costs) and
serves the cards' players through one route that streams a catalog track by id; no
folder is shared, the catalog folder is blocked, unknown Host headers are refused and a
login is optional (``ui.app_server``). Uploads are deleted when refused, when their
session ends and when the server stops.

Per-session values live in ``gr.State`` as plain JSON-able data: gradio notices a
changed state by hashing it, and pydantic objects hash by identity, which would re-render
every card on every streamed update (and stop a playing preview).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import gradio as gr

from linernotes.tools.schemas import Pick, PlaylistItem
from linernotes.tools.settings import Settings
from linernotes.ui import app_playlist as pl
from linernotes.ui import app_views as views
from linernotes.ui.app_catalog import catalog_tab
from linernotes.ui.app_chat import (
    UPLOAD_MAX_MB,
    CuratorSession,
    chat_turn,
    forget_session,
    new_session,
    record_thumb,
)
from linernotes.ui.app_server import allowed_hosts, app_kwargs, parse_auth, warn_if_exposed
from linernotes.ui.app_services import (
    Services,
    default_services,
    dump,
    example_request,
    items_of,
    picks_of,
    track_or_none,
    warm_up,
)
from linernotes.ui.app_theme import CSS, make_theme

HEADER = (
    '<div class="ln-header"><h1>🎼 linernotes</h1>'
    "<p>Ask for music in plain words, or drop a track to start from. Every pick comes "
    "with its liner notes.</p></div>"
)

CHAT_HINT = (
    "**What would you like to hear?**\n\n"
    "- *more like* a track *but for studying* (or running, cooking, sleeping...)\n"
    "- *something calm to read to, no vocals*\n"
    "- drop or record a track: *more like this*\n"
    "- then: *why #2?*, *swap the third one*, *give me two more*"
)


def build_app(
    settings: Settings, services: Services | None = None, *, max_upload_mb: float = UPLOAD_MAX_MB
) -> gr.Blocks:
    """Lay out the UI and wire its handlers (nothing is opened until a session asks)."""
    services = services or default_services(settings)
    # delete_cache: gradio deletes this app's uploads and exports a day after they were
    # made, and all of them when the server stops.
    with gr.Blocks(title="linernotes", analytics_enabled=False, delete_cache=(3600, 86400)) as app:
        session = gr.State(new_session, delete_callback=forget_session)
        picks = gr.State([])
        playlist = gr.State([])
        gr.HTML(HEADER)
        with gr.Tabs():
            with gr.Tab("Curate", id="curate"):
                _curate_tab(app, settings, services, session, picks, playlist, max_upload_mb)
            with gr.Tab("Catalog", id="catalog") as tab:
                catalog_tab(app, tab, settings, services)
    return app


def _curate_tab(
    app: gr.Blocks,
    settings: Settings,
    services: Services,
    session: gr.State,
    picks: gr.State,
    playlist: gr.State,
    max_upload_mb: float,
) -> None:
    with gr.Row(equal_height=False):
        with gr.Column(scale=5, min_width=360):
            chatbot = gr.Chatbot(
                label="Conversation",
                show_label=False,
                height=560,
                elem_id="ln-chat",
                placeholder=CHAT_HINT,
                latex_delimiters=[],  # "$$" in a title is text, not a formula
            )
            box = gr.MultimodalTextbox(
                sources=["upload", "microphone"],
                file_types=["audio"],
                placeholder="Ask for music — or drop an audio file",
                show_label=False,
                elem_id="ln-input",
            )
            _playlist_panel(services, session, picks, playlist)
        with gr.Column(scale=6, min_width=420):
            gr.Markdown("### Picks")
            plot = gr.Plot(show_label=False, render=False, elem_id="ln-profile")
            with gr.Column(elem_id="ln-picks"):
                _pick_cards(services, session, picks, playlist, plot)
            with gr.Column(visible=False) as profile:
                gr.Markdown("### Why it fits: relevance per dimension")
                plot.render()

    def on_submit(message, history, state, pick_data, items):  # type: ignore[no-untyped-def]
        turn = chat_turn(
            message,
            history,
            state,
            picks_of(pick_data),
            items_of(items),
            settings=settings,
            ask_fn=services.ask,
            max_mb=max_upload_mb,
            title_of=lambda track_id: getattr(track_or_none(services, track_id), "title", None),
        )
        view = None
        for view in turn:
            busy = gr.MultimodalTextbox(value=None, interactive=False)
            yield view.history, view.session, dump(view.picks), dump(view.playlist), busy
        if view is not None:
            done = gr.MultimodalTextbox(interactive=True)
            yield view.history, view.session, dump(view.picks), dump(view.playlist), done

    box.submit(
        on_submit,
        [box, chatbot, session, picks, playlist],
        [chatbot, session, picks, playlist, box],
        show_progress="hidden",
    )
    picks.change(_on_picks, picks, [plot, profile])

    def hint() -> Any:
        example = example_request(services)
        return gr.MultimodalTextbox(placeholder=f"e.g. {example}")

    app.load(hint, None, [box])


def _on_picks(data: list[dict[str, Any]]) -> tuple[Any, Any]:
    """Profile of the top pick; the panel hides while there are no picks."""
    figure = views.dimension_figure(next(iter(picks_of(data)), None))
    return figure, gr.Column(visible=figure is not None)


def _pick_cards(
    services: Services, session: gr.State, picks: gr.State, playlist: gr.State, plot: gr.Plot
) -> None:
    """One card per pick, re-rendered only when the picks change."""

    @gr.render(inputs=[picks])
    def cards(pick_data: list[dict[str, Any]]) -> None:
        shown = picks_of(pick_data)
        if not shown:
            gr.HTML(views.empty_picks(example_request(services)))
            return
        for pick in shown:
            with gr.Group(elem_classes="ln-card-group"):
                gr.HTML(views.pick_card(pick, track_or_none(services, pick.track_id)))
                with gr.Row(elem_classes="ln-actions"):
                    up = gr.Button("👍 Fits", size="sm", elem_classes="ln-thumb-up")
                    down = gr.Button("👎 Not this", size="sm", elem_classes="ln-thumb-down")
                    add = gr.Button("+ Playlist", size="sm", elem_classes="ln-add")
                    why = gr.Button("📊 Profile", size="sm", elem_classes="ln-why")
            for button, thumb in ((up, 1), (down, -1)):
                button.click(partial(_on_thumb, services, pick, thumb), [session], [up, down])
            add.click(
                partial(_edit, services, partial(pl.add, picks=[pick])),
                [session, playlist],
                [playlist],
            )
            why.click(partial(views.dimension_figure, pick), None, [plot])


def _on_thumb(services: Services, pick: Pick, thumb: int, state: CuratorSession) -> Any:
    """Store the thumb and show it on the card's buttons."""
    record_thumb(services.catalog(), state, pick.track_id, thumb)
    gr.Info(f"Noted: {'more' if thumb > 0 else 'fewer'} like “{pick.title}”.", duration=3)
    return (
        gr.Button(variant="primary" if thumb > 0 else "secondary"),
        gr.Button(variant="stop" if thumb < 0 else "secondary"),
    )


def _playlist_panel(
    services: Services, session: gr.State, picks: gr.State, playlist: gr.State
) -> None:
    """The session's playlist: reorder, remove, add all picks, export as a download."""
    with gr.Accordion("Playlist", open=True, elem_id="ln-playlist"):

        @gr.render(inputs=[playlist])
        def rows(items_data: list[dict[str, Any]]) -> None:
            items = items_of(items_data)
            tracks = {i.track_id: t for i in items if (t := track_or_none(services, i.track_id))}
            gr.HTML(views.playlist_summary(items, tracks))
            for index, item in enumerate(items):
                with gr.Row(elem_classes="ln-pl-row"):
                    gr.HTML(views.playlist_row(index + 1, item, tracks.get(item.track_id)))
                    for label, fn in (
                        ("↑", partial(pl.move, index=index, delta=-1)),
                        ("↓", partial(pl.move, index=index, delta=1)),
                        ("✕", partial(pl.remove, index=index)),
                    ):
                        button = gr.Button(label, size="sm", min_width=36, scale=0)
                        button.click(partial(_edit, services, fn), [session, playlist], [playlist])

        with gr.Row():
            add_all = gr.Button("Add all picks", size="sm", elem_id="ln-add-all")
            clear = gr.Button("Clear", size="sm", variant="secondary", elem_id="ln-clear")
        with gr.Row(equal_height=True):
            fmt = gr.Radio(list(pl.EXPORT_FORMATS), value="M3U", show_label=False, scale=2)
            export = gr.Button("⬇ Export", variant="primary", scale=1, elem_id="ln-export")
        download = gr.File(
            label="Download", interactive=False, visible=False, elem_id="ln-download"
        )

    def add_all_picks(state: CuratorSession, data: list[Any], pick_data: list[Any]) -> Any:
        return _edit(services, partial(pl.add, picks=picks_of(pick_data)), state, data)

    add_all.click(add_all_picks, [session, playlist, picks], [playlist])
    clear.click(partial(_edit, services, lambda _: []), [session, playlist], [playlist])
    export.click(partial(_on_export, services), [playlist, fmt], [download])


def _edit(
    services: Services,
    fn: Callable[[list[PlaylistItem]], list[PlaylistItem]],
    state: CuratorSession,
    data: list[Any],
) -> list[dict[str, Any]]:
    """Apply one panel edit and save it to the session's thread."""
    items = fn(items_of(data))
    if services.save_playlist is not None:
        services.save_playlist(state.thread, items)
    return dump(items)


def _on_export(services: Services, data: list[dict[str, Any]], label: str) -> Any:
    """Write the playlist and offer it as a download; say what could not be written."""
    items = items_of(data)
    if not items:
        gr.Warning("The playlist is empty: add picks first.")
        return gr.File(value=None, visible=False)
    tracks = {i.track_id: t for i in items if (t := track_or_none(services, i.track_id))}
    exported = pl.export_file(items, label, tracks)
    if exported.missing:
        gr.Warning(f"Left out (file not found): {', '.join(exported.missing)}")
    return gr.File(value=str(exported.path), visible=True)


def launch(
    settings: Settings,
    services: Services | None = None,
    *,
    auth: str | None = None,
    hosts: list[str] | None = None,
    **kwargs: Any,
) -> gr.Blocks:
    """Warm the agent, then serve the UI (on loopback unless told otherwise; never shared).

    Args:
        settings: catalog and backends (``ui_auth`` and ``ui_hosts`` apply here).
        services: the agent and catalog (default: ``agent.run`` on ``settings``).
        auth: ``user:password`` to require a login (beats ``settings.ui_auth``).
        hosts: more Host header names to answer to (beside ``settings.ui_hosts``).
        **kwargs: passed to ``gr.Blocks.launch`` (``server_name``, ``server_port``,
            ``prevent_thread_lock``, ``quiet``...); ``share`` is always off.

    Returns:
        The running app (``app.local_url`` is its address; ``app.close()`` stops it).

    Raises:
        ConfigError: ``auth`` is not ``user:password``.
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    secret = settings.ui_auth.get_secret_value() if settings.ui_auth else None
    login = parse_auth(auth or secret)
    services = services or default_services(settings)
    catalog = warm_up(services)
    app = build_app(settings, services)
    kwargs.pop("share", None)
    server_name = kwargs.setdefault("server_name", "127.0.0.1")
    block = not kwargs.pop("prevent_thread_lock", False)
    quiet = kwargs.pop("quiet", False)
    names = [*(hosts or []), *settings.ui_hosts.split(",")]
    served = app_kwargs(partial(track_or_none, services), allowed_hosts(server_name, names))
    warn_if_exposed(server_name, login)
    app.queue(default_concurrency_limit=2).launch(
        share=False,
        prevent_thread_lock=True,
        quiet=True,  # gradio's banner suggests share=True, which this app never allows
        auth=login,
        app_kwargs=served,
        allowed_paths=kwargs.pop("allowed_paths", []),  # no music folder: audio goes by id
        blocked_paths=[str(Path(catalog.folder).resolve()), *kwargs.pop("blocked_paths", [])],
        max_file_size=f"{int(UPLOAD_MAX_MB * 2)}mb",
        theme=make_theme(),
        css=CSS,
        **kwargs,
    )
    if not quiet:
        print(f"linernotes UI: {app.local_url}  (catalog {catalog.folder}; Ctrl+C stops it)")
    if block:
        app.block_thread()
    return app
