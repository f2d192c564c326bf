"""The local web chat over the Python API (`qa.web.app.build_app` / `qa.web.app.launch`).

Importing this package does not import Gradio; `from qa.web.app import build_app, launch` does.
"""

from __future__ import annotations


def build_app(assistant):
    from .app import build_app as _build

    return _build(assistant)


def launch(assistant=None, host: str = "127.0.0.1", port: int = 7860, share: bool = False, progress=None, **kwargs):
    from .app import launch as _launch

    return _launch(assistant, host=host, port=port, share=share, progress=progress, **kwargs)


__all__ = ["build_app", "launch"]
