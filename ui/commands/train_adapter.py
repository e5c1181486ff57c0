"""``linernotes train-adapter`` and ``linernotes adapter list|use|rollback``.

``train-adapter`` turns the stored triplets into a new adapter version, re-indexes the
catalog in its space and makes it active; ``adapter use``/``rollback`` switch spaces in
one command (the old collections stay, so switching back copies nothing it has).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from linernotes.ui.commands.common import add_parser, print_json, settings_from
from linernotes.ui.commands.mine import add_report_options


def register(sub: Any) -> None:
    """Add ``train-adapter`` and the ``adapter`` group."""
    train = add_parser(sub, "train-adapter", "train an embedding adapter on mined triplets")
    train.add_argument("--kind", choices=("linear", "mlp"), default="linear")
    train.add_argument("--epochs", type=int, help="most epochs (early stopping may end sooner)")
    train.add_argument("--seed", type=int, help="seed (held-out anchors, initialisation)")
    train.add_argument("--margin", type=float, help="triplet loss margin (squared L2)")
    train.add_argument(
        "--context",
        help="train on triplets mined for this context ('all': every one; default: "
        "context-free ones)",
    )
    train.add_argument("--no-activate", action="store_true", help="save, do not switch to it")
    train.add_argument("--report", type=Path, metavar="DIR", help="also write the report here")
    train.add_argument("--json", action="store_true", help="print the adapter card as JSON")
    add_report_options(train)
    train.set_defaults(func=run_train)

    group = add_parser(sub, "adapter", "list, use or roll back embedding adapters")
    inner = group.add_subparsers(dest="adapter_command", metavar="ACTION", required=True)
    lst = _inner(inner, "list", "saved versions, their metrics, the active space")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(func=run_list)
    use = _inner(inner, "use", "make VERSION ('v2', or 'none') the active space")
    use.add_argument("version", metavar="VERSION")
    use.set_defaults(func=run_use)
    back = _inner(inner, "rollback", "return to the previously active space")
    back.set_defaults(func=run_rollback)


def _inner(inner: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    """An ``adapter`` action that also takes ``--catalog`` after its name."""
    parser: argparse.ArgumentParser = inner.add_parser(name, help=help_text)
    parser.add_argument("--catalog", type=Path, default=argparse.SUPPRESS, help="catalog folder")
    return parser


def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    """Settings and the catalog in its active space, whatever the adapter pin says.

    Managing adapters must work from any state, so the bare embedder opens the catalog
    view and the recorded active space is used (the pin is for queries, not for this).
    """
    from linernotes.tools.catalog.catalog import Catalog
    from linernotes.tools.catalog.state import read_active_spaces
    from linernotes.tools.embed.factory import audio_space_name
    from linernotes.tools.errors import CatalogError
    from linernotes.tools.feedback.adapter_store import split_space

    settings = settings_from(args)
    spaces = read_active_spaces(settings)
    if spaces is None:
        raise CatalogError(f"no catalog at {settings.catalog}: run `linernotes ingest` first")
    base = audio_space_name(settings)
    if split_space(spaces["audio"])[0] != base:
        raise CatalogError(
            f"catalog {settings.catalog} is built on {spaces['audio']!r}, but the configured "
            f"embedder is {base!r}"
        )
    return settings, Catalog.open(settings, spaces["audio"], spaces["text"], create=False)


def run_train(args: argparse.Namespace) -> int:
    """Train, save, index and activate a new adapter (and optionally write the report)."""
    from linernotes.tools.feedback.adapter_train import config_from, train_catalog_adapter
    from linernotes.tools.judge.base import make_judge
    from linernotes.ui.commands.mine import resolve

    settings, catalog = _open(args)
    config = config_from(kind=args.kind, epochs=args.epochs, seed=args.seed, margin=args.margin)
    context: str | None = None
    profile = None if args.context == "all" else resolve(args.context, settings)
    if args.context != "all":
        context = profile.name if profile is not None else ""
    card, catalog = train_catalog_adapter(
        catalog,
        settings,
        config,
        judge=make_judge(settings),
        activate=not args.no_activate,
        context=context,
        profile=profile,
    )
    if args.json:
        print_json(card)
    else:
        m = card.metrics
        print(
            f"adapter {card.version} ({card.kind}) trained on {card.triplets} triplets "
            f"({card.val_triplets} held out) in {card.seconds:.1f} s; "
            f"held-out triplet accuracy {m.get('val_triplet_acc_before', float('nan')):.3f}"
            f" -> {m.get('val_triplet_acc_after', float('nan')):.3f}, judge@10 "
            f"{m.get('val_judge_at_10_before', float('nan')):.3f} -> "
            f"{m.get('val_judge_at_10_after', float('nan')):.3f}"
        )
        print(f"active space: {catalog.audio_space}")
    if args.report is not None:
        from linernotes.ui.commands.mine import experiment_report

        args.out = args.report
        if args.context == "all":
            args.context = None  # the experiment judges one notion of relevance
        experiment_report(args, catalog, settings)
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Print every saved adapter and which space is active."""
    from linernotes.tools.feedback.adapter_store import list_cards, space_history

    _, catalog = _open(args)
    cards = list_cards(catalog.folder)
    if args.json:
        print_json(
            {
                "active": catalog.audio_space,
                "history": space_history(catalog),
                "adapters": cards,
            }
        )
        return 0
    print(f"active space: {catalog.audio_space}")
    for c in cards:
        mark = "*" if c.space == catalog.audio_space else " "
        m = c.metrics
        print(
            f"{mark} {c.version:<4} {c.kind:<6} {c.triplets:>6} triplets, rounds {c.rounds}, "
            f"seed {c.seed}, judge@10 {m.get('val_judge_at_10_before', float('nan')):.3f} -> "
            f"{m.get('val_judge_at_10_after', float('nan')):.3f}, {c.created_at}"
        )
    if not cards:
        print("no adapters yet: `linernotes mine` then `linernotes train-adapter`")
    return 0


def run_use(args: argparse.Namespace) -> int:
    """Switch the active space to a saved version (or to the bare base space)."""
    from linernotes.tools.feedback.adapter_store import use_version

    settings, catalog = _open(args)
    catalog = use_version(catalog, args.version, settings)
    print(f"active space: {catalog.audio_space}")
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    """Return to the space that was active before."""
    from linernotes.tools.feedback.adapter_store import rollback

    settings, catalog = _open(args)
    catalog = rollback(catalog, settings)
    print(f"active space: {catalog.audio_space}")
    return 0
