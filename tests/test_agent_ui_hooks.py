"""Hooks the UI needs from the agent: playlist edits land in the thread; steps stream live."""

from linernotes.agent.run import ask, set_playlist


def test_set_playlist_reorders_and_removes_in_the_thread(demo_catalog):
    settings = demo_catalog.settings
    thread = "ui-edit-thread"
    first = ask("more like Salt Canyon but for studying", settings, thread=thread, count=5)
    assert len(first.playlist) == 5
    reordered = [first.playlist[2], first.playlist[0], first.playlist[4]]
    after = set_playlist(thread, reordered, settings)
    assert [i.track_id for i in after] == [i.track_id for i in reordered]
    why = ask("why #1?", settings, thread=thread)
    assert reordered[0].title in why.reply
    assert [i.track_id for i in why.playlist] == [i.track_id for i in reordered]


def test_set_playlist_on_a_new_thread(demo_catalog):
    settings = demo_catalog.settings
    tracks = demo_catalog.rows[:2]
    from linernotes.tools.catalog.catalog import open_catalog
    from linernotes.tools.playlist import item_for

    catalog = open_catalog(settings, create=False)
    items = [item_for(catalog.resolve(r["path"])) for r in tracks]
    assert [i.track_id for i in set_playlist("fresh-ui-thread", items, settings)] == [
        i.track_id for i in items
    ]


def test_on_step_hears_every_step_as_it_happens(demo_catalog):
    seen = []
    answer = ask(
        "more like Salt Canyon but for studying", demo_catalog.settings, on_step=seen.append
    )
    assert [s.name for s in seen] == [s.name for s in answer.steps]
    assert {"understand", "retrieve", "judge"} <= {s.name for s in seen}
