"""The page's theme and CSS (no JavaScript, no web fonts, nothing fetched from another host).

Citation markers are plain `#src-n` anchors; `:target` highlights the source card they point to.
Colours use Gradio's CSS variables so light and dark mode both read well.
"""

from __future__ import annotations

import gradio as gr

SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def theme() -> gr.themes.Base:
    """Gradio's default look with system fonts only (the default theme would load fonts from Google)."""
    return gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=SYSTEM_FONTS, font_mono=MONO_FONTS)


CSS = """
#qa-header h1 { margin: 0 0 .15rem 0; font-size: 1.5rem; }
#qa-header p { margin: 0; color: var(--body-text-color-subdued); }
.qa-question { white-space: normal; }
.qa-answer .qa-short { font-size: 1.15em; font-weight: 700; padding: .35rem .6rem; margin-bottom: .45rem;
  border-left: 4px solid var(--color-accent); background: var(--color-accent-soft); border-radius: 4px; }
.qa-answer .qa-text { line-height: 1.5; }
.qa-answer .qa-resolved { font-size: .85em; font-style: italic; color: var(--body-text-color-subdued);
  margin-bottom: .35rem; }
.qa-answer .qa-hint, .qa-hint { font-size: .85em; color: var(--body-text-color-subdued); margin-top: .35rem; }
.qa-answer .qa-note { font-size: .85em; margin-top: .35rem; color: var(--body-text-color-subdued); }
.qa-abstained .qa-text { font-weight: 600; }
.qa-error { color: var(--error-text-color, #b91c1c); }
.qa-cursor { opacity: .6; margin-left: 1px; }
a.qa-cite, span.qa-cite { font-weight: 700; text-decoration: none; padding: 0 .1em; border-radius: 3px;
  color: var(--color-accent); }
a.qa-cite:hover, a.qa-cite:focus { background: var(--color-accent-soft); text-decoration: underline; }
#qa-sources { max-height: 78vh; overflow-y: auto; padding-right: .25rem; }
.qa-sources h3 { margin: .2rem 0 .5rem 0; font-size: 1.05rem; }
.qa-sources.qa-empty { color: var(--body-text-color-subdued); padding: .75rem;
  border: 1px dashed var(--border-color-primary); border-radius: 8px; }
.qa-src { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6rem .75rem;
  margin-bottom: .6rem; background: var(--background-fill-secondary); scroll-margin-top: .5rem;
  transition: box-shadow .2s, border-color .2s; }
.qa-src:target { border-color: var(--color-accent); box-shadow: 0 0 0 3px var(--color-accent-soft); }
.qa-src header { font-weight: 600; }
.qa-src-n { color: var(--color-accent); margin-right: .25rem; }
.qa-src-meta { font-size: .82em; color: var(--body-text-color-subdued); margin: .15rem 0 .35rem 0;
  word-break: break-all; }
.qa-src-passage { margin: 0; padding-left: .6rem; border-left: 3px solid var(--border-color-primary);
  font-size: .92em; line-height: 1.45; }
.qa-src-passage mark { background: #fde68a; color: #111827; padding: 0 .1em; border-radius: 2px; }
.qa-also { font-size: .8em; color: var(--body-text-color-subdued); margin-top: .35rem; }
#qa-mode label:has(input[value="llm"]:disabled) { opacity: .5; cursor: not-allowed; }
table.qa-docs { width: 100%; border-collapse: collapse; font-size: .92em; }
table.qa-docs th, table.qa-docs td { text-align: left; padding: .35rem .5rem;
  border-bottom: 1px solid var(--border-color-primary); vertical-align: top; }
table.qa-docs td.qa-num { text-align: right; }
"""
