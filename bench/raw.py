"""The raw lower bound as a command: ``python -m bench.raw up|down|sweep``.

``up -p NAME -f FILE [--wait] [--workers K]`` brings a generated stack up with plain docker
SDK calls (see ``bench.raw_up``); ``down -p NAME [-v]`` stops and removes by label with K
parallel workers, ignoring the dependency order (a lower bound); ``sweep PROJECT...`` removes
everything labelled with those projects (the driver's clean-up, kept out of the driver so
that the driver never imports ``docker``: its own memory would count in every child's peak
RSS). Must not import ``orchestra``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.raw_stack import PROJECT_LABEL, read_stack

__all__ = ["main"]

_NETWORK_PATIENCE = 5.0  # the engine's spurious "has active endpoints" sometimes clears


def _client(workers: int) -> Any:
    import docker

    return docker.from_env(max_pool_size=workers + 4, timeout=300).api


def _in_parallel(workers: int, call: Callable[[Any], object], items: Iterable[Any]) -> None:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for job in [pool.submit(call, item) for item in items]:
            job.result()


def _remove_network(api: Any, network_id: str, name: str) -> bool:
    deadline = time.monotonic() + _NETWORK_PATIENCE
    delay = 0.1
    while True:
        try:
            api.remove_network(network_id)
            return True
        except Exception as exc:
            if time.monotonic() + delay > deadline:
                print(f"warning: network {name} not removed: {exc}", file=sys.stderr)
                return False
            time.sleep(delay)
            delay *= 2


def down(api: Any, project: str, *, workers: int, volumes: bool) -> None:
    """Stop and remove every container of ``project``, then its networks (and volumes)."""
    flt = {"label": [f"{PROJECT_LABEL}={project}"]}
    containers = [c["Id"] for c in api.containers(all=True, filters=flt)]

    def stop_remove(container_id: str) -> None:
        api.stop(container_id, timeout=10)
        api.remove_container(container_id)

    _in_parallel(workers, stop_remove, containers)
    networks = api.networks(filters=flt)
    _in_parallel(workers, lambda n: _remove_network(api, n["Id"], n["Name"]), networks)
    if volumes:
        found = api.volumes(filters=flt).get("Volumes") or []
        _in_parallel(workers, lambda v: api.remove_volume(v["Name"]), found)


def sweep(api: Any, projects: Iterable[str]) -> int:
    """Remove every container, network and volume labelled with one of ``projects``."""
    removed = 0
    for project in projects:
        flt = {"label": [f"{PROJECT_LABEL}={project}"]}
        containers = api.containers(all=True, filters=flt)
        _in_parallel(8, lambda c: api.remove_container(c["Id"], force=True, v=True), containers)
        networks = api.networks(filters=flt)
        for network in networks:
            _remove_network(api, network["Id"], network["Name"])
        volumes = api.volumes(filters=flt).get("Volumes") or []
        _in_parallel(8, lambda v: api.remove_volume(v["Name"], force=True), volumes)
        removed += len(containers) + len(networks) + len(volumes)
    return removed


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.raw", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up")
    up.add_argument("-p", dest="project", required=True)
    up.add_argument("-f", dest="file", required=True, type=Path)
    up.add_argument("--wait", action="store_true")
    up.add_argument("--timeout", type=float, default=600.0)
    dn = sub.add_parser("down")
    dn.add_argument("-p", dest="project", required=True)
    dn.add_argument("-v", dest="volumes", action="store_true")
    sw = sub.add_parser("sweep")
    sw.add_argument("projects", nargs="+", metavar="PROJECT")
    for command in (up, dn):
        command.add_argument("--workers", type=int, default=16)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one raw command; exit 0 on success, 1 on failure (the reason on stderr)."""
    args = _parser().parse_args(argv)
    api = _client(getattr(args, "workers", 8))
    try:
        if args.command == "up":
            from bench.raw_up import raw_up

            stack = read_stack(args.file, args.project)
            raw_up(api, stack, workers=args.workers, wait=args.wait, timeout=args.timeout)
        elif args.command == "down":
            down(api, args.project, workers=args.workers, volumes=args.volumes)
        else:
            print(f"swept {sweep(api, args.projects)} resources")
    except Exception as exc:
        print(f"raw {args.command} failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
