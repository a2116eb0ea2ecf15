"""Anonymous volumes survive a recreate, as in compose: the new container mounts the old one's.

Pure; never imports ``docker``/``anyio``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from orchestra.engine.base import ContainerSpec, Mount

__all__ = ["carry_anonymous_volumes"]


def carry_anonymous_volumes(spec: ContainerSpec, old: Mapping[str, str]) -> ContainerSpec:
    """``spec`` with the old container's anonymous volumes (target → name) mounted again.

    An anonymous volume the files declare takes the old volume at the same target; one the image
    declares (``VOLUME``) is added as a mount, unless the new spec mounts something else there.
    """
    if not old:
        return spec
    mounts = [
        dataclasses.replace(m, source=old[m.target])
        if m.type == "volume" and m.source is None and m.target in old
        else m
        for m in spec.mounts
    ]
    taken = {m.target for m in mounts} | set(spec.tmpfs)
    mounts += [Mount("volume", target, name) for target, name in sorted(old.items())
               if target not in taken]  # fmt: skip
    return dataclasses.replace(spec, mounts=tuple(mounts))
