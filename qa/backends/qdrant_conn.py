"""Connections to Qdrant (a server by URL, or qdrant-client's local in-process mode by path), the
one-line errors they can raise, and the alias switch + pruning done after a generation is committed.

A location is a small dict: {"url": ..., "path": ..., "alias": ..., "timeout": ...} (url or path,
not both; path ":memory:" is an in-process store that lives as long as the process). Clients are cached
per location because local mode locks its folder: a second client on the same path in the same
process would be refused. This module does not search and does not know about chunks.
"""

from __future__ import annotations

import atexit
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import IndexCorruptError, IndexMismatchError, QAError

DEFAULT_ALIAS = "qa"
DEFAULT_TIMEOUT = 10.0  # seconds per request to a server; a slow or hung server fails with a clear line
_CLIENTS: dict[tuple, Any] = {}  # QdrantClient (imported only when used)


class QdrantUnavailableError(QAError):
    """The Qdrant server cannot be reached, is not a Qdrant server, or the local store is locked."""


class QdrantTimeoutError(QdrantUnavailableError):
    """A request to the Qdrant server took longer than the timeout."""


class CollectionMissingError(IndexCorruptError):
    """The generation names a Qdrant collection that does not exist (deleted, or another server)."""


class CollectionMismatchError(IndexMismatchError):
    """The collection holds vectors of another dimension or another row count than the generation."""


def where(loc: dict) -> str:
    return loc.get("url") or f"local path {loc.get('path')}"


def _key(loc: dict) -> tuple:
    if loc.get("url"):
        return ("url", loc["url"].rstrip("/"))
    path = loc.get("path") or ":memory:"
    return ("path", path if path == ":memory:" else str(Path(path).resolve()))


def client(loc: dict):
    """A (cached) QdrantClient for `loc`, probed once so that a wrong URL fails here, on one line."""
    key = _key(loc)
    if key in _CLIENTS:
        return _CLIENTS[key]
    from qdrant_client import QdrantClient

    with guard(loc):
        if key[0] == "url":
            # check_compatibility would print a warning of its own when the server is down
            c = QdrantClient(url=key[1], timeout=int(loc.get("timeout") or DEFAULT_TIMEOUT), check_compatibility=False)
        elif key[1] == ":memory:":
            c = QdrantClient(location=":memory:")
        else:
            Path(key[1]).mkdir(parents=True, exist_ok=True)
            c = QdrantClient(path=key[1])
        c.get_collections()  # the probe: connection refused, DNS, not-Qdrant all surface now
    if not _CLIENTS:
        atexit.register(close_all)  # closed while Python can still import (local mode's close does)
    _CLIENTS[key] = c
    return c


def close_all() -> None:
    while _CLIENTS:
        _CLIENTS.popitem()[1].close()


def fast_local_writes(c, collection: str) -> None:
    """Local path mode commits (and syncs) every point in its own SQLite transaction: 3000 points took
    47 s, 5000 with a write-ahead log and synchronous=NORMAL 0.9 s (measured). That log survives a
    crashed process; a power cut may lose the last points, which the row count check at load catches.
    Reaches into qdrant-client's local internals, so anything unexpected there just keeps its default."""
    try:
        db = c._client.collections[collection].storage.storage
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    except (AttributeError, KeyError, TypeError):
        pass


def forget(loc: dict) -> None:
    """Close and drop the cached client of `loc` (tests; a local path is then free for another process)."""
    c = _CLIENTS.pop(_key(loc), None)
    if c is not None:
        c.close()


@contextmanager
def guard(loc: dict, collection: str | None = None):
    """Turn qdrant-client / httpx failures into one-line QAErrors naming the server and collection."""
    import httpx
    from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

    try:
        yield
    except UnexpectedResponse as exc:
        if exc.status_code == 404 and collection:
            raise CollectionMissingError(
                f"Qdrant collection '{collection}' not found at {where(loc)}; "
                f"rebuild with `python -m qa build --full --backend qdrant`"
            ) from exc
        raise QdrantUnavailableError(
            f"Qdrant at {where(loc)} answered HTTP {exc.status_code} "
            f"{exc.reason_phrase}; is this the right URL of a Qdrant server?"
        ) from exc
    except (ResponseHandlingException, httpx.HTTPError) as exc:
        source = getattr(exc, "source", exc)
        if isinstance(source, httpx.TimeoutException):
            raise QdrantTimeoutError(
                f"Qdrant at {where(loc)} did not answer within "
                f"{loc.get('timeout') or DEFAULT_TIMEOUT:g} s; raise QA_QDRANT_TIMEOUT "
                f"or check the server's load"
            ) from exc
        raise QdrantUnavailableError(
            f"cannot reach Qdrant at {where(loc)} ({type(source).__name__}); is the server running and the URL right?"
        ) from exc
    except RuntimeError as exc:
        if "already accessed" not in str(exc):
            raise
        raise QdrantUnavailableError(
            f"the Qdrant folder {loc.get('path')} is open in another process "
            f"(local mode allows one); stop it or use a Qdrant server"
        ) from exc


def publish(generations: list[dict], live: dict | None) -> None:
    """After a commit: point the alias at the live generation's collection, then delete this index's
    collections that no kept generation names (interrupted builds, pruned generations).
    `generations` are the kept manifests' dense entries; `live` is the live one's, if Qdrant."""
    from qdrant_client import models

    kept = {p["params"]["collection"] for p in generations if p.get("backend") == "qdrant"}
    locations = {_key(p["params"]): p["params"] for p in generations if p.get("backend") == "qdrant"}
    for loc in locations.values():
        c, alias = client(loc), loc.get("alias") or DEFAULT_ALIAS
        with guard(loc):
            if live is not None and _key(live["params"]) == _key(loc):
                target = live["params"]["collection"]
                ops: list[Any] = [
                    models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias))
                    for a in c.get_aliases().aliases
                    if a.alias_name == alias
                ]
                ops.append(
                    models.CreateAliasOperation(
                        create_alias=models.CreateAlias(collection_name=target, alias_name=alias)
                    )
                )
                c.update_collection_aliases(change_aliases_operations=ops)  # one atomic switch
            for col in c.get_collections().collections:
                if col.name.startswith(alias + "-") and col.name not in kept:
                    c.delete_collection(col.name)
