"""``python -m linernotes.tools.realcorpus [--out DIR] [--jobs N] [--packages a,b]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from linernotes.tools.realcorpus.build import build, default_out
from linernotes.tools.realcorpus.packages import PACKAGES


def main(argv: list[str] | None = None) -> None:
    """Build the corpus and print its size per package and split."""
    ap = argparse.ArgumentParser(prog="python -m linernotes.tools.realcorpus")
    ap.add_argument("--out", type=Path, default=default_out(), help="corpus folder")
    ap.add_argument("--jobs", type=int, default=2, help="parallel renders")
    ap.add_argument("--packages", default="", help="comma-separated subset of the packages")
    args = ap.parse_args(argv)
    packages = tuple(p for p in args.packages.split(",") if p) or PACKAGES
    unknown = sorted(set(packages) - set(PACKAGES))
    if unknown:
        ap.error(f"--packages names packages outside the corpus list: {', '.join(unknown)}")
    rows = build(args.out, packages, args.jobs)
    per: dict[str, list[float]] = {}
    for r in rows:
        per.setdefault(f"{r.split:8s} {r.package}", []).append(r.duration_s)
    for name, durations in sorted(per.items()):
        print(f"{name:40s} {len(durations):4d} tracks {sum(durations) / 3600:6.2f} h")
    total = sum(r.duration_s for r in rows) / 3600
    print(f"{len(rows)} tracks, {total:.2f} h -> {args.out / 'manifest.csv'}")


if __name__ == "__main__":
    main()
