"""Secrets and configs as files to copy: values read by the loader, targets, owners, modes, the
tar archive, the config hash (a digest, never the value), and nothing leaking into a repr,
labels or ``config`` output. The real engine's side is tests/engine/test_secrets.py.
"""

from __future__ import annotations

import base64
import io
import json
import tarfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from planfix import IMG_A

from orchestra import hashing
from orchestra.engine.base import ContainerSpec, InjectedFile, NetworkSpec
from orchestra.engine.docker_files import build_archive
from orchestra.engine.fake import FakeEngine
from orchestra.errors import SpecError
from orchestra.plan.container_spec import container_spec
from orchestra.spec import secret_values
from orchestra.spec.load import project_from_raw
from orchestra.spec.model import Project
from orchestra.spec.raw import RMap
from orchestra.spec.render import project_to_dict
from orchestra.spec.secret_values import ResolvedReference, value_digest
from orchestra.spec.yamlload import parse_yaml

FILE_VALUE = "from-the-file\n"
ENV_VALUE = "from-the-env"
CONTENT_VALUE = "from-the-content"


@dataclass(frozen=True)
class _Raw:
    tree: RMap
    directory: Path
    environment: dict[str, str] = field(default_factory=dict)
    name: str = "demo"
    files: tuple[Path, ...] = ()
    profiles: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def load(tmp_path: Path, body: str, env: dict[str, str] | None = None) -> Project:
    (tmp_path / "s.txt").write_text(FILE_VALUE)
    text = textwrap.dedent(body).replace("@DIR@", str(tmp_path))
    tree = parse_yaml(text, "compose.yaml")[0]
    return project_from_raw(_Raw(tree, tmp_path, {"TOKEN": ENV_VALUE, **(env or {})}))


ALL = """
services:
  web:
    image: nginx:1
    secrets:
      - f
      - {source: f, target: nested/f, uid: "100", gid: "101", mode: 0400}
      - {source: e, target: /etc/e}
      - c
    configs:
      - {source: cf, uid: "33"}
      - {source: cc, target: app.ini, mode: 0640}
secrets:
  f: {file: @DIR@/s.txt}
  e: {environment: TOKEN}
  c: {content: from-the-content}
configs:
  cf: {file: @DIR@/s.txt}
  cc: {content: from-the-content}
"""


def spec_of(project: Project) -> ContainerSpec:
    return container_spec(project, project.services["web"], 1, IMG_A, "9.9")


def decoded(files: tuple[InjectedFile, ...]) -> list[tuple[str, bytes, int, int, str]]:
    return [(f.path, base64.b64decode(f.content), f.uid, f.gid, oct(f.mode)) for f in files]


def test_every_source_kind_becomes_a_file_with_compose_targets_and_defaults(
    tmp_path: Path,
) -> None:
    spec = spec_of(load(tmp_path, ALL))
    assert decoded(spec.files) == [
        ("/run/secrets/f", FILE_VALUE.encode(), 0, 0, "0o444"),
        ("/run/secrets/nested/f", FILE_VALUE.encode(), 100, 101, "0o400"),
        ("/etc/e", ENV_VALUE.encode(), 0, 0, "0o444"),
        ("/run/secrets/c", CONTENT_VALUE.encode(), 0, 0, "0o444"),
        ("/cf", FILE_VALUE.encode(), 33, 0, "0o444"),
        ("/app.ini", CONTENT_VALUE.encode(), 0, 0, "0o640"),
    ]
    assert spec.mounts == ()  # nothing is bound from the host any more


def test_unreadable_values_and_bad_owners_fail_planning_with_every_problem(
    tmp_path: Path,
) -> None:
    body = ALL.replace("s.txt}", "missing.txt}").replace('uid: "33"', "uid: www-data")
    tree = parse_yaml(body.replace("@DIR@", str(tmp_path)), "compose.yaml")[0]
    project = project_from_raw(_Raw(tree, tmp_path))  # loading accepts it, as compose does
    assert project.services["web"].secrets[0].digest is None  # type: ignore[attr-defined]
    with pytest.raises(SpecError) as raised:
        spec_of(project)
    message = str(raised.value)
    assert "services.web.secrets[0]: secret f: file " in message
    assert "missing.txt does not exist" in message
    assert "services.web.secrets[2]: secret e: environment variable TOKEN is not set" in message
    assert "services.web.configs[0]: config cf: uid must be a number, not 'www-data'" in message
    assert len(raised.value.problems) == 5


def test_an_empty_variable_is_an_empty_file(tmp_path: Path) -> None:
    files = spec_of(load(tmp_path, ALL, {"TOKEN": ""})).files
    assert [f.content for f in files if f.path == "/etc/e"] == [""]


def test_external_secrets_are_not_copied(tmp_path: Path) -> None:
    body = "services:\n  web:\n    image: x\n    secrets: [v]\nsecrets:\n  v: {external: true}\n"
    assert spec_of(load(tmp_path, body)).files == ()


def test_a_value_over_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secret_values, "MAX_VALUE_BYTES", 4)
    with pytest.raises(SpecError, match="larger than"):
        spec_of(load(tmp_path, ALL))


def test_a_device_or_directory_is_not_read(tmp_path: Path) -> None:
    for path in ("/dev/zero", str(tmp_path)):  # /dev/zero would never end
        body = ALL.replace("@DIR@/s.txt", path)
        with pytest.raises(SpecError, match=f"file {path} is not a regular file"):
            spec_of(load(tmp_path, body))


def test_the_hash_covers_a_digest_of_each_value_never_the_value(tmp_path: Path) -> None:
    service = load(tmp_path, ALL).services["web"]
    data = json.dumps(hashing.hash_input(service))
    for value in (FILE_VALUE.strip(), ENV_VALUE, CONTENT_VALUE):
        assert value not in data
    assert data.count(value_digest(ENV_VALUE.encode())) == 1
    spec = spec_of(load(tmp_path, ALL))
    labels = json.dumps(dict(spec.labels))
    assert ENV_VALUE not in labels and CONTENT_VALUE not in labels
    other = load(tmp_path, ALL, {"TOKEN": "rotated"}).services["web"]
    assert hashing.config_hash(other) != hashing.config_hash(service)
    assert hashing.config_hash(load(tmp_path, ALL).services["web"]) == hashing.config_hash(service)


def test_hidden_metadata_key_is_the_one_hashing_checks() -> None:
    assert secret_values.HIDDEN_KEY == hashing.HIDDEN_KEY


def test_values_stay_out_of_reprs_and_config_output(tmp_path: Path) -> None:
    project = load(tmp_path, ALL)
    spec = spec_of(project)
    shown = repr(spec) + repr(project.services) + json.dumps(project_to_dict(project))
    for value in (FILE_VALUE.strip(), ENV_VALUE):
        assert value not in shown
    assert base64.b64encode(ENV_VALUE.encode()).decode() not in repr(spec)
    rendered = project_to_dict(project)["services"]["web"]["secrets"]
    assert rendered[1] == {
        "source": "f",
        "target": "nested/f",
        "uid": "100",
        "gid": "101",
        "mode": "0400",
    }
    assert isinstance(project.services["web"].secrets[0], ResolvedReference)


def _members(data: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return archive.getmembers()


def test_the_archive_holds_only_the_files_with_owner_and_mode() -> None:
    files = (
        InjectedFile("/run/secrets/a", base64.b64encode(b"one").decode(), 100, 101, 0o400),
        InjectedFile("/tmp/deep/b", base64.b64encode(b"").decode()),
    )
    data = build_archive(files)
    members = _members(data)
    # No directory entries: extracting one would reset an existing directory (/tmp's 1777).
    assert [(m.name, m.type, m.uid, m.gid, oct(m.mode), m.size) for m in members] == [
        ("run/secrets/a", tarfile.REGTYPE, 100, 101, "0o400", 3),
        ("tmp/deep/b", tarfile.REGTYPE, 0, 0, "0o444", 0),
    ]
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        extracted = archive.extractfile("run/secrets/a")
        assert extracted is not None and extracted.read() == b"one"
    assert build_archive(files) == data  # deterministic: no clock in it


@pytest.mark.anyio
async def test_the_fake_engine_records_the_files_of_a_created_container(tmp_path: Path) -> None:
    spec = spec_of(load(tmp_path, ALL))
    engine = FakeEngine()
    await engine.create_network(NetworkSpec("demo_default", {}))
    ident = await engine.create_container(spec)
    assert engine.containers[ident].spec.files == spec.files
