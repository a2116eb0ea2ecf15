"""``volumes:``, ``tmpfs:`` and ``devices:`` of a service, short syntax to long.

Short volume forms: ``/target`` (anonymous volume), ``name:/target`` (named volume),
``/abs/host:/target`` (bind; relative host paths were made absolute by the front half, ``~``
too), with ``:ro``, ``:rw``, ``:z``/``:Z``, ``:nocopy`` and propagation modes, comma-separated.

Imports only ``orchestra.spec.model``, ``orchestra.spec.units`` and ``validate_core``.
"""

from __future__ import annotations

from orchestra.spec.model import Device, ServiceVolume, VolumeBind, VolumeOptions, VolumeTmpfs
from orchestra.spec.validate_core import (
    Checker,
    Loc,
    read_bool,
    read_int,
    read_list,
    read_map,
    read_opt,
    read_required,
    read_size,
    read_str,
    read_str_list,
)

__all__ = ["read_devices", "read_tmpfs", "read_volumes"]

VOLUME_KEYS = frozenset(
    {"type", "source", "target", "read_only", "consistency", "bind", "volume", "tmpfs"}
)
VOLUME_UNSUPPORTED = frozenset({"image"})
BIND_KEYS = frozenset({"propagation", "create_host_path", "selinux", "recursive"})
VOLUME_OPTION_KEYS = frozenset({"nocopy", "subpath"})
TMPFS_KEYS = frozenset({"size", "mode"})
TYPES = frozenset({"bind", "volume", "tmpfs", "npipe"})
UNSUPPORTED_TYPES = frozenset({"cluster", "image"})
PROPAGATIONS = frozenset({"shared", "rshared", "slave", "rslave", "private", "rprivate"})
_ACCESS = frozenset({"ro", "rw"})
_SELINUX = frozenset({"z", "Z"})


def read_volumes(ck: Checker, loc: Loc) -> tuple[ServiceVolume, ...] | None:
    """Every mount of ``volumes:`` in long form."""
    found = read_list(ck, loc, _read_volume_item)
    return tuple(found) if found is not None else None


def _read_volume_item(ck: Checker, loc: Loc) -> ServiceVolume | None:
    if isinstance(loc.value, dict):
        return _read_long_volume(ck, loc)
    text = read_str(ck, loc)
    if text is None:
        return None
    try:
        return parse_volume_spec(text)
    except ValueError as exc:
        ck.add(loc, f"invalid volume {text!r}: {exc}")
        return None


def parse_volume_spec(spec: str) -> ServiceVolume:
    """One short-syntax mount; raises ValueError with the reason."""
    parts = spec.split(":")
    if len(parts) > 3 or not all(parts):
        raise ValueError("expected [SOURCE:]TARGET[:MODE]")
    if len(parts) == 1:
        return ServiceVolume(type="volume", target=parts[0], volume=VolumeOptions())
    source, target = parts[0], parts[1]
    options = parts[2].split(",") if len(parts) == 3 else []
    unknown = [o for o in options if o not in _ACCESS | _SELINUX | PROPAGATIONS | {"nocopy"}]
    if unknown:
        raise ValueError(f"unknown mode {unknown[0]!r}")
    read_only = "ro" in options
    if _is_path(source):
        selinux = next((o for o in options if o in _SELINUX), None)
        propagation = next((o for o in options if o in PROPAGATIONS), None)
        bind = VolumeBind(propagation=propagation, create_host_path=True, selinux=selinux)
        return ServiceVolume("bind", target, source, read_only=read_only, bind=bind)
    volume = VolumeOptions(nocopy="nocopy" in options)
    return ServiceVolume("volume", target, source, read_only=read_only, volume=volume)


def _is_path(source: str) -> bool:
    return source.startswith(("/", ".", "~", "\\")) or (len(source) > 1 and source[1] == ":")


def _read_long_volume(ck: Checker, loc: Loc) -> ServiceVolume | None:
    ck.keys(loc, VOLUME_KEYS, VOLUME_UNSUPPORTED)
    kind = _read_type(ck, loc)
    target = read_required(ck, loc, "target", read_str)
    source = read_opt(ck, loc, "source", read_str)
    read_only = read_opt(ck, loc, "read_only", read_bool) or False
    consistency = read_opt(ck, loc, "consistency", read_str)
    bind = _read_bind(ck, loc.get("bind"))
    volume = _read_volume_options(ck, loc.get("volume"))
    tmpfs = _read_tmpfs_options(ck, loc.get("tmpfs"))
    if kind is None or target is None:
        return None
    if kind == "bind" and not source:
        ck.add(loc, "a bind mount needs a 'source'")
        return None
    if kind == "tmpfs" and source:
        ck.add(loc.child("source"), "a tmpfs mount takes no 'source'")
        return None
    return ServiceVolume(kind, target, source, read_only, consistency, bind, volume, tmpfs)


def _read_type(ck: Checker, loc: Loc) -> str | None:
    type_loc = loc.get("type")
    if type_loc is None:
        ck.add(loc, "a mount needs a 'type' (bind, volume, tmpfs or npipe)")
        return None
    kind = read_str(ck, type_loc)
    if kind in UNSUPPORTED_TYPES:
        ck.add(type_loc, f"mount type {kind!r} is not supported by orchestra")
        return None
    if kind is not None and kind not in TYPES:
        ck.add(type_loc, f"unknown mount type {kind!r} (bind, volume, tmpfs or npipe)")
        return None
    return kind


def _read_bind(ck: Checker, loc: Loc | None) -> VolumeBind | None:
    if loc is None or read_map(ck, loc) is None:
        return None
    ck.keys(loc, BIND_KEYS)
    propagation = read_opt(ck, loc, "propagation", read_str)
    if propagation is not None and propagation not in PROPAGATIONS:
        ck.add(loc.child("propagation"), f"unknown propagation {propagation!r}")
    selinux = read_opt(ck, loc, "selinux", read_str)
    if selinux is not None and selinux not in _SELINUX:
        ck.add(loc.child("selinux"), f"must be 'z' or 'Z', not {selinux!r}")
    create = read_opt(ck, loc, "create_host_path", read_bool)
    recursive = read_opt(ck, loc, "recursive", read_str)
    return VolumeBind(propagation, create, selinux, recursive)


def _read_volume_options(ck: Checker, loc: Loc | None) -> VolumeOptions | None:
    if loc is None or read_map(ck, loc) is None:
        return None
    ck.keys(loc, VOLUME_OPTION_KEYS, {"labels"})
    nocopy = read_opt(ck, loc, "nocopy", read_bool) or False
    return VolumeOptions(nocopy=nocopy, subpath=read_opt(ck, loc, "subpath", read_str))


def _read_tmpfs_options(ck: Checker, loc: Loc | None) -> VolumeTmpfs | None:
    if loc is None or read_map(ck, loc) is None:
        return None
    ck.keys(loc, TMPFS_KEYS)
    size_loc, mode_loc = loc.get("size"), loc.get("mode")
    size = read_size(ck, size_loc) if size_loc is not None else None
    if size is not None and size < 0:
        ck.add(loc.child("size"), "must not be negative")
    mode = read_mode(ck, mode_loc) if mode_loc is not None else None
    return VolumeTmpfs(size=size, mode=mode)


def read_mode(ck: Checker, loc: Loc) -> int | None:
    """A file mode: an int (YAML ``0755`` is already octal) or an octal string ``"0755"``."""
    if isinstance(loc.value, str):
        try:
            return int(loc.value, 8)
        except ValueError:
            ck.add(loc, f"must be an octal file mode such as '0440', not {loc.value!r}")
            return None
    return read_int(ck, loc)


def read_tmpfs(ck: Checker, loc: Loc) -> tuple[str, ...] | None:
    """``tmpfs:``: one path or a list of ``path[:options]``."""
    found = read_str_list(ck, loc, single=True)
    for index, entry in enumerate(found or ()):
        if not entry.startswith("/"):
            ck.add(loc.child(index) if isinstance(loc.value, list) else loc, "must be absolute")
    return found


def read_devices(ck: Checker, loc: Loc) -> tuple[Device, ...] | None:
    """``devices:`` in long form; the short ``host[:container[:perms]]`` gets ``rwm``."""
    found = read_list(ck, loc, _read_device)
    return tuple(found) if found is not None else None


def _read_device(ck: Checker, loc: Loc) -> Device | None:
    if isinstance(loc.value, dict):
        ck.keys(loc, frozenset({"source", "target", "permissions"}))
        source = read_required(ck, loc, "source", read_str)
        target = read_opt(ck, loc, "target", read_str)
        permissions = read_opt(ck, loc, "permissions", read_str)
        return Device(source, target or source, permissions) if source else None
    text = read_str(ck, loc)
    if text is None:
        return None
    parts = text.split(":")
    if len(parts) > 3 or not all(parts):
        ck.add(loc, f"invalid device {text!r}: expected HOST[:CONTAINER[:PERMISSIONS]]")
        return None
    target = parts[1] if len(parts) > 1 else parts[0]
    return Device(parts[0], target, parts[2] if len(parts) == 3 else "rwm")
