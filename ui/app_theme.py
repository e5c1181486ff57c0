"""Look of the curator's UI: one theme and one stylesheet, kept apart from the wiring.

Gradio 6 takes ``theme`` and ``css`` at ``launch()`` rather than in ``gr.Blocks``, so they
live here and ``ui.app.launch`` passes them. Fonts are the system's: the default theme
would fetch Google Fonts, which an offline machine cannot reach (and a curator's browser
need not call home to read liner notes).
"""

from __future__ import annotations

from typing import Any

SYSTEM_FONTS = ("ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "sans-serif")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "monospace")

CORE_COLOUR = "#7c3aed"
"""Bars of the core dimensions (they can justify similarity on their own)."""
SECONDARY_COLOUR = "#94a3b8"
"""Bars of the secondary dimensions (they only re-weight by context)."""

CSS = """
.ln-header { padding: 4px 0 2px; }
.ln-header h1 { margin: 0; font-size: 1.55rem; letter-spacing: -0.01em; }
.ln-header p { margin: 2px 0 0; color: var(--body-text-color-subdued); }
#ln-picks { max-height: 760px; overflow-y: auto; padding-right: 4px; }
.ln-empty { padding: 28px 12px; text-align: center; color: var(--body-text-color-subdued);
  border: 1px dashed var(--border-color-primary); border-radius: 12px; }
.ln-card { display: flex; flex-direction: column; gap: 8px; padding: 12px 14px 4px; }
.ln-card-head { display: flex; align-items: center; gap: 12px; }
.ln-rank { flex: none; width: 30px; height: 30px; border-radius: 50%; display: grid;
  place-items: center; font-weight: 700; color: white; background: #7c3aed; }
.ln-titles { flex: 1; min-width: 0; }
.ln-title { font-weight: 650; font-size: 1.05rem; line-height: 1.2; }
.ln-meta { color: var(--body-text-color-subdued); font-size: 0.85rem; }
.ln-score { flex: none; text-align: right; line-height: 1.1; }
.ln-score b { font-size: 1.15rem; }
.ln-score small { display: block; color: var(--body-text-color-subdued); font-size: 0.72rem; }
.ln-card audio { width: 100%; height: 36px; }
.ln-expl { margin: 0; font-size: 0.92rem; line-height: 1.45; }
.ln-chips { display: flex; flex-wrap: wrap; gap: 6px; }
.ln-chip { font-size: 0.78rem; padding: 2px 9px; border-radius: 999px;
  background: #ede9fe; color: #4c1d95; }
.ln-chip.diff { background: #fef3c7; color: #78350f; }
.ln-actions { gap: 6px !important; padding: 0 10px 10px; }
.ln-actions button { min-width: 0 !important; }
.ln-pl-row { align-items: center; gap: 6px !important; }
.ln-pl-item { font-size: 0.95rem; }
.ln-pl-item small { color: var(--body-text-color-subdued); }
.ln-stats { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr));
  gap: 10px; }
.ln-stat { border: 1px solid var(--border-color-primary); border-radius: 12px;
  padding: 10px 12px; }
.ln-stat b { display: block; font-size: 1.35rem; }
.ln-stat span { color: var(--body-text-color-subdued); font-size: 0.8rem; }
.ln-note { color: var(--body-text-color-subdued); font-size: 0.85rem; }
"""


def make_theme() -> Any:
    """A soft violet theme on system fonts (no web-font downloads)."""
    import gradio as gr

    return gr.themes.Soft(
        primary_hue="violet",
        neutral_hue="slate",
        font=list(SYSTEM_FONTS),
        font_mono=list(MONO_FONTS),
    )
