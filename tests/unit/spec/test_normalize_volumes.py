"""volumes (short and long), tmpfs and devices: normalised forms and located errors."""

from __future__ import annotations

import pytest
from raw_tree_builder import service_of, service_problems

from orchestra.spec.model import Device, ServiceVolume, VolumeBind, VolumeOptions, VolumeTmpfs
from orchestra.spec.normalize_volumes import parse_volume_spec

BIND = VolumeBind(create_host_path=True)
NAMED = "volumes: {v: {}, data: {}}"


@pytest.mark.parametrize(
    ("spec", "volume"),
    [
        ("/anon", ServiceVolume("volume", "/anon", volume=VolumeOptions())),
        ("data:/data", ServiceVolume("volume", "/data", "data", volume=VolumeOptions())),
        (
            "data:/data:ro",
            ServiceVolume("volume", "/data", "data", read_only=True, volume=VolumeOptions()),
        ),
        (
            "data:/data:nocopy",
            ServiceVolume("volume", "/data", "data", volume=VolumeOptions(nocopy=True)),
        ),
        ("/srv:/srv", ServiceVolume("bind", "/srv", "/srv", bind=BIND)),
        ("/srv:/srv:rw", ServiceVolume("bind", "/srv", "/srv", bind=BIND)),
        ("/srv:/srv:ro", ServiceVolume("bind", "/srv", "/srv", read_only=True, bind=BIND)),
        ("/srv:/srv:z", ServiceVolume("bind", "/srv", "/srv", bind=VolumeBind(None, True, "z"))),
        (
            "/tmp:/tmp:ro,rshared",
            ServiceVolume("bind", "/tmp", "/tmp", read_only=True, bind=VolumeBind("rshared", True)),
        ),
        ("./rel:/rel", ServiceVolume("bind", "/rel", "./rel", bind=BIND)),
        ("~/x:/x", ServiceVolume("bind", "/x", "~/x", bind=BIND)),
    ],
)
def test_short_volume_forms(spec: str, volume: ServiceVolume) -> None:
    assert parse_volume_spec(spec) == volume


@pytest.mark.parametrize(
    ("spec", "reason"),
    [("a:b:c:d", "expected"), ("a::/x", "expected"), ("/a:/b:bogus", "unknown mode 'bogus'")],
)
def test_bad_short_volumes(spec: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_volume_spec(spec)


def test_long_volume_forms() -> None:
    service = service_of(
        """
        volumes:
          - type: bind
            source: /x
            target: /x
            read_only: true
            bind: {propagation: rshared, create_host_path: false, selinux: Z}
          - {type: volume, source: v, target: /v, volume: {nocopy: true, subpath: sub}}
          - {type: volume, target: /anon}
          - {type: tmpfs, target: /t, tmpfs: {size: 10m, mode: "0755"}}
          - {type: tmpfs, target: /u, tmpfs: {mode: 511}}
          - data:/data
        """,
        NAMED,
    )
    assert service.volumes == (
        ServiceVolume("bind", "/x", "/x", True, bind=VolumeBind("rshared", False, "Z")),
        ServiceVolume("volume", "/v", "v", volume=VolumeOptions(True, "sub")),
        ServiceVolume("volume", "/anon"),
        ServiceVolume("tmpfs", "/t", tmpfs=VolumeTmpfs(10 * 1024**2, 0o755)),
        ServiceVolume("tmpfs", "/u", tmpfs=VolumeTmpfs(None, 0o777)),
        ServiceVolume("volume", "/data", "data", volume=VolumeOptions()),
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("volumes: ['a:b:c:d']", "compose.yaml:4:15: services.web.volumes[0]: invalid volume"),
        ("volumes: [{target: /x}]", "services.web.volumes[0]: a mount needs a 'type'"),
        ("volumes: [{type: disk, target: /x}]", "type: unknown mount type 'disk'"),
        (
            "volumes: [{type: image, source: i, target: /x}]",
            "type: mount type 'image' is not supported by orchestra",
        ),
        ("volumes: [{type: bind, target: /x}]", "a bind mount needs a 'source'"),
        ("volumes: [{type: volume, source: v}]", "services.web.volumes[0]: 'target' is required"),
        ("volumes: [{type: tmpfs, source: /a, target: /x}]", "a tmpfs mount takes no 'source'"),
        (
            "volumes: [{type: bind, source: /a, target: /x, bind: {propagation: up}}]",
            "unknown propagation 'up'",
        ),
        ("volumes: [{type: tmpfs, target: /x, tmpfs: {size: 12zb}}]", "suffix 'zb'"),
        ("volumes: [{type: tmpfs, target: /x, tmpfs: {mode: 'rwx'}}]", "octal file mode"),
        (
            "volumes: [{type: volume, source: v, target: /x, volume: {labels: {a: b}}}]",
            "volume.labels: not supported by orchestra",
        ),
        (
            "volumes: [{type: bind, source: /a, target: /x, readonly: true}]",
            "readonly: unknown attribute (did you mean 'read_only'?)",
        ),
        (
            "volumes: [nope:/x]",
            'compose.yaml:4:15: services.web.volumes[0]: service "web" '
            'refers to undefined volume "nope"',
        ),
    ],
)
def test_volume_problems_are_located(body: str, expected: str) -> None:
    found = service_problems(body, NAMED)
    assert len(found) == 1, found
    assert expected in found[0]


def test_tmpfs_attribute_takes_one_path_or_a_list() -> None:
    assert service_of("tmpfs: /run").tmpfs == ("/run",)
    assert service_of("tmpfs: [/a, '/b:size=10m']").tmpfs == ("/a", "/b:size=10m")


def test_tmpfs_paths_must_be_absolute() -> None:
    assert "services.web.tmpfs[1]: must be absolute" in service_problems("tmpfs: [/a, b]")[0]


def test_devices_short_and_long() -> None:
    service = service_of(
        'devices: ["/dev/a", "/dev/b:/dev/c", "/dev/d:/dev/e:r", {source: /dev/f, target: /dev/g}]'
    )
    assert service.devices == (
        Device("/dev/a", "/dev/a", "rwm"),
        Device("/dev/b", "/dev/c", "rwm"),
        Device("/dev/d", "/dev/e", "r"),
        Device("/dev/f", "/dev/g", None),
    )


def test_bad_device_is_located() -> None:
    found = service_problems('devices: ["/a:/b:c:d"]')
    assert found == [
        "compose.yaml:4:15: services.web.devices[0]: invalid device '/a:/b:c:d': expected "
        "HOST[:CONTAINER[:PERMISSIONS]]"
    ]
