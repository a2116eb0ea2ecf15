"""Run a command in a container without a TTY and collect its output: the exec API's three calls.

The start call answers with the engine's multiplexed stream (8-byte frame headers naming stdout
or stderr); ``demux`` splits it. Imports only ``engine.base`` and ``docker_transport``'s
protocol; never ``docker``.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

from orchestra.engine.base import ExecResult
from orchestra.engine.docker_transport import Transport

__all__ = ["demux", "run_exec"]

_HEADER = struct.Struct(">BxxxL")
_STDERR = 2


def demux(data: bytes) -> tuple[bytes, bytes]:
    """stdout and stderr of a multiplexed stream; a truncated last frame keeps what arrived."""
    out, err = bytearray(), bytearray()
    offset = 0
    while offset + _HEADER.size <= len(data):
        stream, size = _HEADER.unpack_from(data, offset)
        offset += _HEADER.size
        (err if stream == _STDERR else out).extend(data[offset : offset + size])
        offset += size
    return bytes(out), bytes(err)


def run_exec(
    transport: Transport,
    container_id: str,
    command: tuple[str, ...],
    user: str | None,
    workdir: str | None,
    environment: Mapping[str, str] | None,
) -> ExecResult:
    """Blocking: create the exec, run it to completion, read its exit code."""
    body = {
        "Container": container_id,
        "User": user or "",
        "Privileged": False,
        "Tty": False,
        "AttachStdin": False,
        "AttachStdout": True,
        "AttachStderr": True,
        "Cmd": list(command),
        "Env": [f"{k}={v}" for k, v in environment.items()] if environment else None,
        "WorkingDir": workdir,
    }
    created = transport.call(
        "POST",
        f"/containers/{container_id}/exec",
        body={key: value for key, value in body.items() if value is not None},
    )
    exec_id = str(created["Id"])
    raw = transport.call_bytes(
        "POST", f"/exec/{exec_id}/start", body={"Detach": False, "Tty": False}
    )
    out, err = demux(raw)
    code = transport.call("GET", f"/exec/{exec_id}/json").get("ExitCode")
    return ExecResult(
        exit_code=-1 if code is None else int(code),
        stdout=out.decode("utf-8", "replace"),
        stderr=err.decode("utf-8", "replace"),
    )
