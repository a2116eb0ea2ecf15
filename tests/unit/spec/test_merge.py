"""Compose merge rules for several files (expected results checked with `docker compose config`)."""

from __future__ import annotations

from typing import Any

import pytest

from orchestra.errors import Mark
from orchestra.spec.merge import clean, merge_documents, merge_service
from orchestra.spec.raw import RList, RMap
from orchestra.spec.yamlload import parse_yaml


def doc(text: str, name: str = "f.yaml") -> RMap:
    return parse_yaml(text, name)[0]


def service(body: str, name: str) -> RMap:
    indented = "".join(f"    {line}\n" for line in body.splitlines())
    return doc(f"services:\n  s:\n{indented}", name)


def merged(base: str, over: str) -> Any:
    tree, problems = merge_documents([service(base, "a.yaml"), service(over, "b.yaml")])
    assert problems == []
    return tree["services"]["s"]


@pytest.mark.parametrize(
    ("base", "over", "expected"),
    [
        ("image: a", "image: b", {"image": "b"}),
        ("image: a\nuser: u", "user:", {"image": "a", "user": "u"}),
        ("command: [a, b]", "command: c", {"command": "c"}),
        ("command: c", "command: [a]", {"command": ["a"]}),
        ("command: [a]", "command:", {"command": None}),
        ("entrypoint: sh", "entrypoint: [sh, -c]", {"entrypoint": ["sh", "-c"]}),
        ("healthcheck: {test: [CMD, a], interval: 5s}", "healthcheck: {test: [CMD, b]}",
         {"healthcheck": {"test": ["CMD", "b"], "interval": "5s"}}),
        ("environment: {A: '1', B: '2'}", "environment: [B=3, C=4]",
         {"environment": {"A": "1", "B": "3", "C": "4"}}),
        ("environment: [A=1, B]", "environment: {B: x, C: }",
         {"environment": {"A": "1", "B": "x", "C": None}}),
        ("environment: {A: 1}", "environment: {A: }", {"environment": {"A": None}}),
        ("environment: {A: 1}", "environment:", {"environment": {"A": 1}}),
        ("labels: [x=1, y=2]", "labels: {y: 3, z: 4}", {"labels": {"x": "1", "y": 3, "z": 4}}),
        ("sysctls: {net.a: 1}", "sysctls: [net.b=2]", {"sysctls": {"net.a": 1, "net.b": "2"}}),
        ("annotations: [a=1]", "annotations: [a=2]", {"annotations": {"a": "2"}}),
        ("build: {args: [A=1]}", "build: {args: {B: 2}}",
         {"build": {"args": {"A": "1", "B": 2}}}),
        ("extra_hosts: ['h1:1.1.1.1', 'h2=2.2.2.2']",
         "extra_hosts: {h1: 3.3.3.3, h3: [4.4.4.4, '::1']}",
         {"extra_hosts": ["h1:1.1.1.1", "h2=2.2.2.2", "h1=3.3.3.3", "h3=4.4.4.4", "h3=::1"]}),
        ("extra_hosts: ['h=1']", "extra_hosts: ['h=1']", {"extra_hosts": ["h=1"]}),
        ("ports: ['80:80', '81:81', {target: 90, published: '9090'}]",
         "ports: ['80:80', '82:82', {target: 90, published: '9090', mode: host}]",
         {"ports": ["80:80", "81:81", {"target": 90, "published": "9090", "mode": "host"},
                    "82:82"]}),
        ("ports: [80, {target: 80, protocol: udp}]", "ports: ['80', {target: 80}]",
         {"ports": ["80", {"target": 80, "protocol": "udp"}, {"target": 80}]}),
        ("volumes: ['./d:/data', 'v:/v']",
         "volumes: ['./e:/data:ro', {type: volume, source: w, target: /v}]",
         {"volumes": ["./e:/data:ro", {"type": "volume", "source": "w", "target": "/v"}]}),
        ("volumes: ['/anon']", "volumes: ['x:/anon']", {"volumes": ["x:/anon"]}),
        ("devices: ['/dev/a:/dev/x']", "devices: ['/dev/b:/dev/x', '/dev/c']",
         {"devices": ["/dev/b:/dev/x", "/dev/c"]}),
        ("secrets: [s1, {source: s2, target: /t}]", "secrets: [{source: s1, target: /t}, s1]",
         {"secrets": ["s1", {"source": "s1", "target": "/t"}]}),
        ("configs: [c1]", "configs: [{source: c1, target: /c1}, {source: c2}]",
         {"configs": [{"source": "c1", "target": "/c1"}, {"source": "c2"}]}),
        ("expose: [80]", "expose: ['80', 81]", {"expose": ["80", 81]}),
        ("dns: [1.1.1.1, 8.8.8.8]", "dns: 8.8.8.8", {"dns": ["1.1.1.1", "8.8.8.8"]}),
        ("dns_search: a", "dns_search: b", {"dns_search": ["a", "b"]}),
        ("tmpfs: /tmp", "tmpfs: [/run, /tmp]", {"tmpfs": ["/tmp", "/run"]}),
        ("env_file: a.env", "env_file: [{path: a.env, required: false}, b.env]",
         {"env_file": [{"path": "a.env", "required": False}, "b.env"]}),
        ("cap_add: [NET_ADMIN]", "cap_add: [NET_ADMIN, SYS_TIME]",
         {"cap_add": ["NET_ADMIN", "SYS_TIME"]}),
        ("volumes_from: [x]", "volumes_from: [x, db]", {"volumes_from": ["x", "db"]}),
        ("security_opt: [a]", "security_opt: [b]", {"security_opt": ["a", "b"]}),
        ("profiles: [p]", "profiles: [p, q]", {"profiles": ["p", "q"]}),
        ("depends_on: [db]", "depends_on: {db: {condition: service_healthy}}",
         {"depends_on": {"db": {"condition": "service_healthy", "required": True}}}),
        ("depends_on: {db: {condition: service_healthy, restart: true}}", "depends_on: [db, x]",
         {"depends_on": {"db": {"condition": "service_started", "restart": True, "required": True},
                         "x": {"condition": "service_started", "required": True}}}),
        ("networks: [n1]", "networks: {n2: {aliases: [q]}}",
         {"networks": {"n1": None, "n2": {"aliases": ["q"]}}}),
        ("networks: {n: {aliases: [x, y]}}", "networks: {n: {aliases: [y, z]}}",
         {"networks": {"n": {"aliases": ["x", "y", "z"]}}}),
        ("networks: {n: {aliases: [x]}}",
         "networks: {n: }", {"networks": {"n": {"aliases": ["x"]}}}),
        ("build: ./ctx",
         "build: {dockerfile: D}", {"build": {"context": "./ctx", "dockerfile": "D"}}),
        ("build: {context: a, target: t}", "build: b", {"build": {"context": "b", "target": "t"}}),
        ("logging: {driver: json-file, options: {max-size: 1m}}",
         "logging: {options: {max-file: '2'}}",
         {"logging": {"driver": "json-file", "options": {"max-size": "1m", "max-file": "2"}}}),
        ("logging: {driver: a, options: {x: 1}}", "logging: {driver: b, options: {y: 1}}",
         {"logging": {"driver": "b", "options": {"y": 1}}}),
        ("ulimits: {nofile: {soft: 1, hard: 2}, nproc: 5}", "ulimits: {nofile: 5}",
         {"ulimits": {"nofile": 5, "nproc": 5}}),
        ("ulimits: {nofile: 5}", "ulimits: {nofile: {soft: 1, hard: 2}}",
         {"ulimits": {"nofile": {"soft": 1, "hard": 2}}}),
        ("x-foo: {a: 1}", "x-foo: {b: 1}", {"x-foo": {"a": 1, "b": 1}}),
        ("deploy: {resources: {limits: {cpus: '1'}}}",
         "deploy: {resources: {limits: {memory: 1g}}}",
         {"deploy": {"resources": {"limits": {"cpus": "1", "memory": "1g"}}}}),
    ],
)  # fmt: skip
def test_service_attribute_merge(base: str, over: str, expected: dict[str, Any]) -> None:
    assert merged(base, over) == expected


@pytest.mark.parametrize(
    ("base", "over", "expected"),
    [
        ("image: x\nports: ['80:80']", "ports: !reset []", {"image": "x"}),
        ("image: x\nenvironment: {A: 1}", "environment: !reset {}", {"image": "x"}),
        ("image: x\nenvironment: {A: 1, B: 2}", "environment: {A: !reset }",
         {"image": "x", "environment": {"B": 2}}),
        ("image: x\nlabels: {a: 1}",
         "labels: !override {b: 2}", {"image": "x", "labels": {"b": 2}}),
        ("image: x\nports: ['80:80']", "ports: !override ['81:81']",
         {"image": "x", "ports": ["81:81"]}),
        ("image: x\nbuild: {context: a, args: {A: 1}}", "build: !override {context: b}",
         {"image": "x", "build": {"context": "b"}}),
    ],
)  # fmt: skip
def test_reset_and_override_tags(base: str, over: str, expected: dict[str, Any]) -> None:
    assert merged(base, over) == expected


def test_override_tag_on_a_whole_service_replaces_it() -> None:
    first = doc("services:\n  a:\n    image: x\n    labels: {a: 1}\n    command: [a]\n")
    second = doc("services:\n  a: !override\n    image: y\n")
    tree, _ = merge_documents([first, second])
    assert tree == {"services": {"a": {"image": "y"}}}


def test_reset_in_a_single_document_removes_the_key() -> None:
    tree, _ = merge_documents([doc("services:\n  a:\n    image: x\n    ports: !reset ['80']\n")])
    assert tree == {"services": {"a": {"image": "x"}}}
    assert tree["services"]["a"].tags == {}


def test_a_single_document_has_its_set_like_lists_deduplicated() -> None:
    text = "services:\n  a:\n    cap_add: [A, B, A]\n    environment: [X=1, Y=2, X=3]\n"
    tree, _ = merge_documents([doc(text)])
    assert tree["services"]["a"] == {"cap_add": ["A", "B"], "environment": ["X=3", "Y=2"]}


def test_top_level_sections_merge_and_new_services_are_added() -> None:
    first = doc("services:\n  a: {image: a}\nnetworks:\n  n: {driver: bridge}\nvolumes: {v: }\n")
    second = doc("services:\n  b: {image: b}\nnetworks:\n  n: {internal: true}\nx-top: 1\n")
    tree, problems = merge_documents([first, second])
    assert problems == []
    assert tree == {
        "services": {"a": {"image": "a"}, "b": {"image": "b"}},
        "networks": {"n": {"driver": "bridge", "internal": True}},
        "volumes": {"v": None},
        "x-top": 1,
    }


def test_ipam_config_merges_by_subnet() -> None:
    first = doc(
        "networks:\n  n:\n    ipam:\n      config: [{subnet: 10.0.0.0/24, gateway: 10.0.0.1}]\n"
    )
    second = doc(
        "networks:\n  n:\n    ipam:\n"
        "      config: [{subnet: 10.0.0.0/24, ip_range: 10.0.0.0/25}, {subnet: 10.1.0.0/24}]\n"
    )
    tree, _ = merge_documents([first, second])
    assert tree["networks"]["n"]["ipam"]["config"] == [
        {"subnet": "10.0.0.0/24", "gateway": "10.0.0.1", "ip_range": "10.0.0.0/25"},
        {"subnet": "10.1.0.0/24"},
    ]


@pytest.mark.parametrize(
    ("base", "over", "path", "mark"),
    [
        ("ports: ['80:80']", "ports: '81:81'", "services.s.ports", Mark("b.yaml", 3, 12)),
        ("deploy: {replicas: 2}", "deploy: [x]", "services.s.deploy", Mark("b.yaml", 3, 13)),
        ("volumes: [a:/a]", "volumes: {a: 1}", "services.s.volumes", Mark("b.yaml", 3, 14)),
    ],
)
def test_incompatible_shapes_are_problems(base: str, over: str, path: str, mark: Mark) -> None:
    first, second = service(base, "a.yaml"), service(over, "b.yaml")
    tree, problems = merge_documents([first, second])
    assert [p.path for p in problems] == [path]
    assert problems[0].message.startswith("cannot override: an earlier definition is a")
    assert problems[0].mark == mark
    assert tree["services"]["s"] == first["services"]["s"]


def test_marks_follow_the_values_that_won() -> None:
    tree, _ = merge_documents(
        [
            service("image: a\nuser: u\nports: ['1:1']", "a.yaml"),
            service("image: b\nports: ['2:2']", "b.yaml"),
        ]
    )
    result = tree["services"]["s"]
    assert result.value_marks["image"] == Mark("b.yaml", 3, 12)
    assert result.value_marks["user"] == Mark("a.yaml", 4, 11)
    assert result["ports"].item_marks == [Mark("a.yaml", 5, 13), Mark("b.yaml", 4, 13)]


def test_environment_entries_from_a_list_keep_their_item_marks() -> None:
    result_tree, _ = merge_documents(
        [service("environment: {A: 1}", "a.yaml"), service("environment: [B=2]", "b.yaml")]
    )
    env = result_tree["services"]["s"]["environment"]
    assert env.value_marks["A"] == Mark("a.yaml", 3, 22)
    assert env.value_marks["B"] == Mark("b.yaml", 3, 19)


def test_inputs_are_not_modified_and_the_result_shares_nothing_with_them() -> None:
    first = service("image: a\nenvironment: {A: 1}\nports: ['80']", "a.yaml")
    second = service("environment: [B=2]\nports: ['81']\nlabels: {l: 1}", "b.yaml")
    before = (repr(first), repr(second))
    tree, _ = merge_documents([first, second])
    tree["services"]["s"]["labels"]["l"] = "changed"
    tree["services"]["s"]["ports"].append("99")
    assert (repr(first), repr(second)) == before


def test_merge_service_uses_the_service_rules_and_drops_nothing_else() -> None:
    base = doc("a:\n  image: x\n  command: [a, b]\n  environment: [A=1]\n  ports: ['80']\n")["a"]
    local = doc("b:\n  command: c\n  environment: {B: 2}\n  ports: !reset []\n")["b"]
    result, problems = merge_service(base, local, "b")
    assert problems == []
    assert result == {"image": "x", "command": "c", "environment": {"A": "1", "B": 2}}


def test_clean_copies_deeply_and_drops_resets_and_tags() -> None:
    original = doc("a:\n  b: !reset 1\n  c: !override [1, {d: 2}]\n")
    copy = clean(original)
    assert copy == {"a": {"c": [1, {"d": 2}]}}
    assert isinstance(copy["a"]["c"], RList) and copy["a"].tags == {}
    assert copy["a"]["c"][1] is not original["a"]["c"][1]
