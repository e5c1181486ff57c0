"""The real-music corpus: Debian packages' game and music soundtracks, for honest measurement.

``python -m linernotes.tools.realcorpus`` (``make real-corpus``) builds it outside the
repository; ``bench/real.py`` measures on it; ``python -m linernotes.tools.realcorpus.fit``
fits the default acoustic-v3 space on its development packages. It downloads, so no
default test touches it.
"""
