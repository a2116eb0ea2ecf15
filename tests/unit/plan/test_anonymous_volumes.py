"""A replacement container mounts the old one's anonymous volumes (compose's behaviour)."""

from __future__ import annotations

from orchestra.engine.base import ContainerSpec, Mount
from orchestra.plan.anonymous_volumes import carry_anonymous_volumes

OLD = {"/scratch": "a" * 64, "/var/lib/data": "b" * 64, "/named": "c" * 64, "/run": "d" * 64}


def spec(*mounts: Mount, tmpfs: dict[str, str] | None = None) -> ContainerSpec:
    return ContainerSpec("p-app-1", "img", {}, mounts=mounts, tmpfs=tmpfs or {})


def test_declared_anonymous_volume_takes_the_old_one() -> None:
    new = carry_anonymous_volumes(spec(Mount("volume", "/scratch")), {"/scratch": "a" * 64})
    assert new.mounts == (Mount("volume", "/scratch", "a" * 64),)


def test_image_volumes_are_added_unless_the_target_is_taken() -> None:
    new = carry_anonymous_volumes(
        spec(Mount("volume", "/named", "p_named"), tmpfs={"/run": ""}), OLD
    )
    assert new.mounts == (
        Mount("volume", "/named", "p_named"),
        Mount("volume", "/scratch", "a" * 64),
        Mount("volume", "/var/lib/data", "b" * 64),
    )


def test_nothing_to_carry_keeps_the_spec() -> None:
    original = spec(Mount("bind", "/x", "/host"))
    assert carry_anonymous_volumes(original, {}) is original
