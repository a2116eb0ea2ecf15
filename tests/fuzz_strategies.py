"""Hypothesis strategies for fuzzing the loader and the CLI with hostile Compose input.

Documents are built as a small node model (``Tag``, ``Anchor``, ``Alias``, ``Plain``) and
written as YAML by ``emit`` (block style for the top two levels, flow style below), so that
anchors, aliases, merge keys and ``!reset``/``!override`` tags appear where PyYAML's dumper
would never put them. Every attribute of the service, network, volume, secret and config schema
gets either a plausible value or a wrong one: a wrong type, a huge number, unicode, an empty
string, deep nesting, or a ``${...}`` form (well-formed or not).

Test helper only: imports ``hypothesis`` and the standard library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "Alias",
    "Anchor",
    "Plain",
    "Tag",
    "cli_argvs",
    "compose_files",
    "emit",
    "hostile_names",
    "interpolations",
]


@dataclass(frozen=True)
class Plain:
    """A scalar written unquoted, so the YAML resolver decides its type (``0755``, ``yes``)."""

    text: str


@dataclass(frozen=True)
class Tag:
    """A value with a local tag, e.g. ``!reset`` or ``!override``."""

    tag: str
    value: Any


@dataclass(frozen=True)
class Anchor:
    """``&name value``."""

    name: str
    value: Any


@dataclass(frozen=True)
class Alias:
    """``*name``."""

    name: str


VARIABLES = ["A", "B", "EMPTY", "UNSET", "_x1", "LONG"]
ENVIRONMENT = {"A": "1", "B": "web", "EMPTY": "", "_x1": "ü", "LONG": "y" * 300}
_PIECES = [
    "$",
    "$$",
    "${",
    "}",
    "{",
    ":-",
    "-",
    ":?",
    "?",
    ":+",
    "+",
    "${A}",
    "$A",
    "${UNSET:-d}",
    "${UNSET:?needed}",
    "${EMPTY:?empty}",
    "${A:+alt}",
    "${B-x}",
    "${}",
    "${1A}",
    "${A:-${B}}",
    "${A:-${UNSET:-${EMPTY:-deep}}}",
    "$${A}",
    "x",
    "80",
    ":",
    "/",
    " ",
    "\n",
    "é",
    "\u2028",
]
interpolations = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8).map("".join)

_PLAIN_WORDS = [
    "0755",
    "0x1F",
    "0o17",
    "1e3",
    "1_000",
    "yes",
    "no",
    "on",
    "off",
    "~",
    "null",
    "true",
    ".inf",
    "-.inf",
    ".nan",
    "2001-12-14",
    "+1",
    "-0",
    "1.",
    ".5",
    "0b101",
    "18446744073709551616",
]
_HUGE = [2**31, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30, -1, 0]
texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from(_HUGE),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "web", "db", "ünï", "☃" * 50, "a" * 300]),
    texts,
    interpolations,
    st.sampled_from(_PLAIN_WORDS).map(Plain),
)
wrong_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "x", ""]), inner)
    ),
    max_leaves=8,
)


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for index in range(depth):
        value = [value] if index % 2 else {"k": value}
    return value


deep_values = st.integers(1, 260).map(_deep)
names = st.sampled_from(["web", "db", "a", "nope"])
_DURATIONS = ["10s", "1m30s", "500ms", "1h", "x", "-1s", 0, 5]
_SIZES = ["500m", "1g", "1.5g", 1024, "12zb", "-1", "1kb"]
# Plausible values per attribute; each attribute also draws wrong ones (see ``attribute``).
SERVICE_VALUES: dict[str, Any] = {
    "image": st.sampled_from(["orchestra-test/busybox:1", "x:y", "a" * 300, "UPPER", "${B}"]),
    "build": st.sampled_from([".", {"context": ".", "args": {"A": 1}}, {"dockerfile": "D"}]),
    "command": st.one_of(texts, st.lists(texts, max_size=3)),
    "entrypoint": st.one_of(texts, st.lists(texts, max_size=3)),
    "environment": st.one_of(
        st.dictionaries(st.sampled_from(["A", "B", "C"]), scalars, max_size=3),
        st.lists(st.sampled_from(["A=1", "B", "C=${A}", "=x", "D=$$"]), max_size=3),
    ),
    "env_file": st.sampled_from(["x.env", ["a.env"], [{"path": "b.env", "required": False}]]),
    "ports": st.lists(
        st.sampled_from(
            [
                "80",
                "8080:80",
                "1.2.3.4::80/udp",
                "8000-8001:80-81",
                99999,
                {"target": 80, "published": "8080"},
                "[::1]:80:80",
            ]
        ),
        max_size=3,
    ),
    "expose": st.lists(st.sampled_from(["80", 80, "80-81/tcp", "x"]), max_size=2),
    "volumes": st.lists(
        st.sampled_from(
            [
                "./d:/d",
                "v:/v:ro",
                "/anon",
                "/a:/b:/c:/d",
                ":",
                {"type": "tmpfs", "target": "/t"},
                {"type": "volume", "source": "v"},
            ]
        ),
        max_size=3,
    ),
    "tmpfs": st.sampled_from(["/t", ["/t:size=1m"]]),
    "read_only": st.booleans(),
    "networks": st.one_of(
        st.lists(st.sampled_from(["n", "default", "nope"]), max_size=2),
        st.just({"n": {"aliases": ["x"], "ipv4_address": "10.0.0.2"}}),
    ),
    "network_mode": st.sampled_from(["none", "host", "service:db", "container:x", "bridge"]),
    "depends_on": st.one_of(
        st.lists(names, max_size=3),
        st.dictionaries(
            names,
            st.fixed_dictionaries(
                {"condition": st.sampled_from(["service_started", "service_healthy", "bad"])},
                optional={"required": st.booleans(), "restart": st.booleans()},
            ),
            max_size=2,
        ),
    ),
    "healthcheck": st.fixed_dictionaries(
        {},
        optional={
            "test": st.sampled_from(["true", ["CMD", "true"], ["NONE"], ["BOGUS"], []]),
            "interval": st.sampled_from(_DURATIONS),
            "retries": st.integers(-2, 5),
            "disable": st.booleans(),
            "start_interval": st.sampled_from(_DURATIONS),
        },
    ),
    "restart": st.sampled_from(["no", "always", "on-failure:3", "on-failure:x", "unless-stopped"]),
    "deploy": st.fixed_dictionaries(
        {},
        optional={
            "replicas": st.integers(-1, 5),
            "resources": st.just({"limits": {"cpus": "0.5", "memory": "1g", "pids": 5}}),
            "restart_policy": st.just({"condition": "on-failure", "max_attempts": 3}),
        },
    ),
    "scale": st.integers(-1, 4),
    "mem_limit": st.sampled_from(_SIZES),
    "memswap_limit": st.sampled_from(_SIZES),
    "shm_size": st.sampled_from(_SIZES),
    "cpus": st.sampled_from([0.5, "1.5", "lots", -1, 1e300, math.nan]),
    "cpu_shares": st.integers(-1, 2**40),
    "pids_limit": st.integers(-2, 2**40),
    "ulimits": st.dictionaries(
        st.sampled_from(["nofile", "nproc"]),
        st.one_of(st.integers(-1, 10**6), st.just({"soft": 10, "hard": 5})),
        max_size=2,
    ),
    "sysctls": st.one_of(st.just({"net.core.somaxconn": 1024}), st.just(["a.b=1", "c"])),
    "user": st.sampled_from(["1000", "1000:1000", "root", 0]),
    "init": st.booleans(),
    "stop_grace_period": st.sampled_from(_DURATIONS),
    "stop_signal": st.sampled_from(["SIGTERM", "KILL", "9"]),
    "container_name": st.sampled_from(["c1", "UP", "a b", "../x", "c" * 300]),
    "hostname": st.sampled_from(["h", "a.b", ""]),
    "labels": st.one_of(st.just({"a": "b", "n": 1}), st.just(["a=b", "c"])),
    "profiles": st.lists(st.sampled_from(["p", "q", "", "Bad Profile"]), max_size=2),
    "secrets": st.lists(st.sampled_from(["s", {"source": "s", "mode": 0o400}, "nope"]), max_size=2),
    "configs": st.lists(st.sampled_from(["c", {"source": "c", "target": "/c"}]), max_size=2),
    "extends": st.sampled_from(
        ["db", "web", "nope", {"service": "a"}, {"service": "a", "file": "o.yaml"}]
    ),
    "links": st.lists(st.sampled_from(["db", "db:alias", "nope"]), max_size=2),
    "extra_hosts": st.one_of(st.just(["h:1.2.3.4"]), st.just({"h": "::1"})),
    "dns": st.sampled_from(["8.8.8.8", ["1.1.1.1"]]),
    "cap_add": st.lists(st.sampled_from(["NET_ADMIN", "ALL"]), max_size=2),
    "devices": st.lists(st.sampled_from(["/dev/null:/dev/x", "/dev/zero"]), max_size=1),
    "logging": st.just({"driver": "json-file", "options": {"max-size": "1m"}}),
    "volumes_from": st.lists(st.sampled_from(["db", "a:ro", "container:x"]), max_size=2),
    "annotations": st.just({"a": "b"}),
    "pull_policy": st.sampled_from(["always", "never", "missing", "build", "daily", "sometimes"]),
    "platform": st.sampled_from(["linux/amd64", "x"]),
    "ipc": st.sampled_from(["host", "service:db", "shareable"]),
    "tty": st.booleans(),
    "x-ext": wrong_values,
}
NETWORK_VALUES: dict[str, Any] = {
    "driver": st.sampled_from(["bridge", "overlay", ""]),
    "external": st.booleans(),
    "name": st.sampled_from(["net", "N E T", ""]),
    "internal": st.booleans(),
    "attachable": st.booleans(),
    "ipam": st.just({"config": [{"subnet": "10.5.0.0/16"}]}),
    "labels": st.just({"a": "b"}),
    "enable_ipv6": st.booleans(),
    "driver_opts": st.just({"a": 1}),
}
VOLUME_VALUES: dict[str, Any] = {
    "driver": st.sampled_from(["local", ""]),
    "external": st.booleans(),
    "name": st.sampled_from(["vol", "../v", ""]),
    "labels": st.just(["a=b"]),
    "driver_opts": st.just({"type": "tmpfs", "device": "tmpfs"}),
}
FILE_OBJECT_VALUES: dict[str, Any] = {
    "file": st.sampled_from(["./s.txt", "/nonexistent", ""]),
    "environment": st.sampled_from(["A", "UNSET"]),
    "content": texts,
    "external": st.booleans(),
    "name": st.sampled_from(["s", ""]),
}


def attribute(plausible: Any, wild: bool) -> Any:
    """A plausible value; when ``wild``, also wrong ones, deep nesting, interpolation, tags."""
    if not wild:
        return plausible
    return st.one_of(
        plausible,
        plausible,
        wrong_values,
        deep_values,
        interpolations,
        st.sampled_from(["!reset", "!override"]).map(lambda t: Tag(t, None)),
    )


def _schema_map(schema: dict[str, Any], max_size: int, wild: bool) -> Any:
    """A mapping of some of ``schema``'s keys to values drawn by ``attribute``."""
    return st.lists(st.sampled_from(sorted(schema)), unique=True, max_size=max_size).flatmap(
        lambda keys: st.fixed_dictionaries({k: attribute(schema[k], wild) for k in keys})
    )


def _service_body(wild: bool) -> Any:
    body = st.fixed_dictionaries({"image": st.just("orchestra-test/busybox:1")}).flatmap(
        lambda base: _schema_map(SERVICE_VALUES, 5, wild).map(lambda extra: {**base, **extra})
    )
    return st.one_of(body, wrong_values) if wild else body


service_names = st.one_of(names, st.sampled_from(["", "UP", "a b", "-x", "é", "x" * 70]))
_ANCHORS = ["a0", "a1", "a2"]


def _with_references(value: Any, draw: Any, anchors: list[str]) -> Any:
    """``value`` with, sometimes, a merge key or an alias to one of the document's anchors."""
    if not anchors:
        return value
    if isinstance(value, dict) and draw(st.integers(0, 3)) == 0:
        sources = draw(st.lists(st.sampled_from(anchors), min_size=1, max_size=2))
        merge = Alias(sources[0]) if len(sources) == 1 else [Alias(s) for s in sources]
        return {"<<": merge, **value}
    if draw(st.integers(0, 9)) == 0:
        return Alias(draw(st.sampled_from(anchors)))
    return value


@st.composite
def _document(draw: Any) -> dict[str, Any]:
    """A Compose document: tame (plausible values only) or, half of the time, wild."""
    wild = draw(st.booleans())
    kept = _ANCHORS[: draw(st.integers(0, len(_ANCHORS)))]
    anchored = (
        st.one_of(_schema_map(SERVICE_VALUES, 3, wild), wrong_values)
        if wild
        else (_schema_map(SERVICE_VALUES, 3, wild))
    )
    doc: dict[str, Any] = {f"x-{name}": Anchor(name, draw(anchored)) for name in kept}
    doc["services"] = {
        draw(service_names if wild else names): _with_references(
            draw(_service_body(wild)), draw, kept if wild else []
        )
        for _ in range(draw(st.integers(0, 3)))
    }
    resource_keys = st.sampled_from(["n", "v", "default", ""] if wild else ["n", "v"])
    for key, schema in (("networks", NETWORK_VALUES), ("volumes", VOLUME_VALUES)):
        if draw(st.booleans()):
            doc[key] = {draw(resource_keys): draw(_schema_map(schema, 3, wild))}
    for key in ("secrets", "configs"):
        if draw(st.integers(0, 3)) == 0:
            doc[key] = {
                draw(st.sampled_from(["s", "c"])): draw(_schema_map(FILE_OBJECT_VALUES, 2, wild))
            }
    if draw(st.integers(0, 4)) == 0:
        doc["name"] = draw(st.one_of(hostile_names, scalars) if wild else st.just("orch-fuzz-n"))
    if wild and draw(st.integers(0, 6)) == 0:
        doc[draw(st.sampled_from(["include", "version", "unknown", "models"]))] = draw(wrong_values)
    return doc


hostile_names = st.sampled_from(
    [
        "ok",
        "ok-1_x",
        "UPPER",
        "a b",
        "../x",
        "a/b",
        "$(id)",
        "`id`",
        "a;b",
        "a|b",
        "a&b",
        "-x",
        "_x",
        "x" * 300,
        "",
        "é",
        "☃",
        "a\nb",
        "a\tb",
        ".",
        "..",
        "a.b",
        "1",
    ]
)


@st.composite
def compose_files(draw: Any) -> list[str]:
    """One to three Compose files (for ``-f a -f b ...``), as YAML text."""
    count = draw(st.integers(1, 3))
    return [emit(draw(_document())) for _ in range(count)]


# ---------------------------------------------------------------- YAML emitter

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


def _quoted(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif not char.isprintable() or ord(char) in (0x85, 0xFEFF):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\U{code:08x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    return _quoted(str(value))


def _flow(value: Any) -> str:
    if isinstance(value, Plain):
        return value.text
    if isinstance(value, Alias):
        return f"*{value.name}"
    if isinstance(value, Anchor):
        return f"&{value.name} {_flow(value.value)}"
    if isinstance(value, Tag):
        return f"{value.tag} {_flow(value.value)}"
    if isinstance(value, dict):
        items = ", ".join(f"{_key(k)}: {_flow(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def _key(key: str) -> str:
    return "<<" if key == "<<" else _quoted(key)


def emit(doc: dict[str, Any]) -> str:
    """YAML text for ``doc``: block style for the top two levels, flow style below."""
    lines: list[str] = []
    for key, value in doc.items():
        if isinstance(value, dict) and value:
            lines.append(f"{_key(key)}:")
            lines.extend(f"  {_key(k)}: {_flow(v)}" for k, v in value.items())
        else:
            lines.append(f"{_key(key)}: {_flow(value)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- CLI argv

COMMANDS = [
    "config",
    "graph",
    "up",
    "down",
    "plan",
    "ps",
    "logs",
    "exec",
    "ls",
    "start",
    "stop",
    "restart",
    "build",
    "watch",
    "pull",
    "push",
    "run",
    "nosuch",
    "",
]
_GLOBAL = [
    ["-f", "compose.yaml"],
    ["-f", "missing.yaml"],
    ["-f", "bad.yaml"],
    ["-f", "-"],
    ["--env-file", ".env"],
    ["--env-file", "nope.env"],
    ["--profile", "p"],
    ["--project-directory", "."],
    ["--project-directory", "/nonexistent"],
    ["-h"],
    ["--bogus"],
    ["-p"],
    ["-f"],
]
_OPTIONS = [
    "-q",
    "--quiet",
    "--services",
    "--volumes",
    "--profiles",
    "--format",
    "json",
    "yaml",
    "mermaid",
    "dot",
    "table",
    "--hash",
    "*",
    "web",
    "db",
    "-d",
    "--detach",
    "--wait",
    "-t",
    "--timeout",
    "0",
    "-1",
    "99999999999999999999",
    "--remove-orphans",
    "-v",
    "--volumes",
    "--no-deps",
    "--dry-run",
    "--force-recreate",
    "-a",
    "--all",
    "-n",
    "--tail",
    "--follow",
    "--rm",
    "--scale",
    "web=2",
    "web=x",
    "true",
    "--",
    "-h",
    "--help",
    "é",
    "",
    " ",
    "$(id)",
    "--=",
    "-",
    "--debug",
]


@st.composite
def cli_argvs(draw: Any) -> list[str]:
    """An argument list: some global options, a command (maybe bogus), some options."""
    argv: list[str] = []
    for option in draw(st.lists(st.sampled_from(_GLOBAL), max_size=3)):
        argv.extend(option)
    if draw(st.integers(0, 3)) == 0:
        argv.extend(["-p", draw(hostile_names)])
    argv.append(draw(st.sampled_from(COMMANDS)))
    argv.extend(draw(st.lists(st.one_of(st.sampled_from(_OPTIONS), texts), max_size=5)))
    return [a for a in argv if a != "--debug"]  # --debug shows tracebacks on purpose
