"""Copying secret and config files into a created container (``PUT /containers/{id}/archive``).

A bind mount cannot give a file its own owner and mode, so ``DockerEngine.create_container``
sends the ``InjectedFile``s of a ``ContainerSpec`` as one tar archive extracted at ``/`` before
the container first starts. The archive holds only the files: the engine creates missing parent
directories itself (root, 0755, as compose's secrets get), and a directory entry would reset the
owner and mode of an existing one (``/tmp`` would lose its 1777). Error messages name the
container, never a file's content. Imports ``engine.base`` and the standard library only; the
caller passes the API client.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from orchestra.engine.base import ContainerSpec, InjectedFile

__all__ = ["build_archive", "copy_files"]

T = TypeVar("T")
_MTIME = 0  # fixed: the archive of a spec is the same bytes every time


class _ArchiveApi(Protocol):
    def put_archive(self, container: str, path: str, data: bytes) -> Any: ...


def build_archive(files: tuple[InjectedFile, ...]) -> bytes:
    """A tar archive of ``files``, paths relative to ``/``, with their uid, gid and mode."""
    import tarfile  # here, not at the top: it costs ~20 ms of every command's start-up

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for file in files:
            content = base64.b64decode(file.content)
            info = tarfile.TarInfo(file.path.lstrip("/"))
            info.size = len(content)
            info.uid, info.gid = file.uid, file.gid
            info.mode = file.mode & 0o7777
            info.mtime = _MTIME
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


async def copy_files(
    run: Callable[[str, Callable[[], T]], Awaitable[T]],
    api: _ArchiveApi,
    container_id: str,
    spec: ContainerSpec,
) -> None:
    """Copy ``spec.files`` into the created container ``container_id``; nothing when none.

    ``run`` is the adapter's call wrapper (worker thread, limiter, error mapping).
    """
    if not spec.files:
        return
    data = build_archive(spec.files)
    await run(
        f"copy {len(spec.files)} secret/config file(s) into container {spec.name}",
        lambda: api.put_archive(container_id, "/", data),
    )
