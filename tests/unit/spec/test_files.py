"""Finding the compose files, the .env files, the project directory and the project name."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestra.errors import SpecError
from orchestra.spec.files import (
    LoadOptions,
    choose_project_name,
    display_path,
    find_compose_files,
    locate,
    normalize_project_name,
)

SERVICE = "services:\n  s:\n    image: x\n"


def write(path: Path, text: str = SERVICE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def options(
    cwd: Path,
    *,
    files: tuple[str, ...] = (),
    project_directory: str | None = None,
    env_files: tuple[str, ...] = (),
    environ: dict[str, str] | None = None,
) -> LoadOptions:
    return LoadOptions(
        files=files,
        project_directory=project_directory,
        env_files=env_files,
        environ=environ or {},
        cwd=str(cwd),
    )


@pytest.mark.parametrize(
    ("present", "chosen"),
    [
        (["compose.yaml"], "compose.yaml"),
        (["docker-compose.yml"], "docker-compose.yml"),
        (["compose.yaml", "docker-compose.yml"], "compose.yaml"),
        (["compose.yml", "docker-compose.yaml"], "compose.yml"),
        (["docker-compose.yml", "docker-compose.yaml"], "docker-compose.yml"),
        (["compose.yaml", "compose.yml"], "compose.yaml"),
    ],
)
def test_discovery_prefers_names_in_compose_order(
    tmp_path: Path, present: list[str], chosen: str
) -> None:
    for name in present:
        write(tmp_path / name)
    warnings: list[str] = []
    assert find_compose_files(tmp_path, warnings) == (tmp_path / chosen,)
    if len(present) > 1:
        listed = ", ".join(str(tmp_path / n) for n in sorted(present, key=present.index))
        assert warnings[0].startswith("Found multiple config files with supported names: ")
        assert set(warnings[0].split(": ", 1)[1].split(", ")) == set(listed.split(", "))
        assert warnings[1] == f"Using {tmp_path / chosen}"
    else:
        assert warnings == []


@pytest.mark.parametrize(
    ("base", "overrides", "chosen"),
    [
        ("compose.yaml", ["compose.override.yaml"], "compose.override.yaml"),
        ("compose.yaml", ["compose.override.yml", "compose.override.yaml"], "compose.override.yml"),
        ("docker-compose.yml", ["compose.override.yml", "docker-compose.override.yml"],
         "compose.override.yml"),
        ("docker-compose.yml", ["docker-compose.override.yaml"], "docker-compose.override.yaml"),
        ("compose.yaml", ["docker-compose.override.yml"], "docker-compose.override.yml"),
    ],
)  # fmt: skip
def test_an_override_file_next_to_the_found_file_is_appended(
    tmp_path: Path, base: str, overrides: list[str], chosen: str
) -> None:
    write(tmp_path / base)
    for name in overrides:
        write(tmp_path / name)
    warnings: list[str] = []
    assert find_compose_files(tmp_path, warnings) == (tmp_path / base, tmp_path / chosen)
    assert bool(warnings) == (len(overrides) > 1)


def test_discovery_walks_up_to_the_nearest_directory_with_a_file(tmp_path: Path) -> None:
    write(tmp_path / "compose.yaml")
    write(tmp_path / "app" / "docker-compose.yml")
    deep = tmp_path / "app" / "src" / "pkg"
    deep.mkdir(parents=True)
    located = locate(options(deep))
    assert located.files == (tmp_path / "app" / "docker-compose.yml",)
    assert located.directory == tmp_path / "app"


def test_no_file_anywhere_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        find_compose_files(tmp_path, [])
    message = str(caught.value)
    assert f"no compose file found in {tmp_path} or any parent directory" in message
    assert "compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml" in message


def test_explicit_files_are_relative_to_cwd_and_give_the_project_directory(
    tmp_path: Path,
) -> None:
    write(tmp_path / "compose.override.yaml")
    first = write(tmp_path / "a" / "base.yaml")
    second = write(tmp_path / "b" / "more.yaml")
    located = locate(options(tmp_path, files=("a/base.yaml", "b/more.yaml")))
    assert located.files == (first, second)  # no automatic override with -f
    assert located.directory == tmp_path / "a"


def test_a_missing_explicit_file_and_stdin_are_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"compose file not found: nope.yaml"):
        locate(options(tmp_path, files=("nope.yaml",)))
    with pytest.raises(SpecError, match="standard input is not supported"):
        locate(options(tmp_path, files=("-",)))


def test_project_directory_is_where_files_are_searched_and_env_is_read(tmp_path: Path) -> None:
    write(tmp_path / "cwd" / "compose.yaml")
    write(tmp_path / "cwd" / ".env", "FROM=cwd\n")
    project = tmp_path / "proj"
    write(project / "compose.yaml")
    write(project / ".env", "FROM=project\n")
    located = locate(options(tmp_path / "cwd", project_directory="../proj"))
    assert located.files == (project / "compose.yaml",)
    assert located.directory == project
    assert located.environment["FROM"] == "project"


def test_env_is_read_from_the_first_explicit_file_s_directory(tmp_path: Path) -> None:
    write(tmp_path / ".env", "V=fromcwd\n")
    write(tmp_path / "sub" / ".env", "V=fromsub\n")
    write(tmp_path / "sub" / "compose.yaml")
    located = locate(options(tmp_path, files=("sub/compose.yaml",)))
    assert located.environment["V"] == "fromsub"


def test_env_is_read_from_cwd_when_the_file_is_found_in_a_parent(tmp_path: Path) -> None:
    # compose reads .env before it looks for files: a file found upwards does not move it
    write(tmp_path / "compose.yaml")
    write(tmp_path / ".env", "V=fromparent\n")
    write(tmp_path / "deeper" / ".env", "V=fromdeeper\n")
    located = locate(options(tmp_path / "deeper"))
    assert located.directory == tmp_path
    assert located.environment["V"] == "fromdeeper"


def test_compose_file_variable_from_env_or_dotenv(tmp_path: Path) -> None:
    one = write(tmp_path / "one.yaml")
    two = write(tmp_path / "x" / "two.yaml")
    write(tmp_path / "compose.override.yaml")
    located = locate(options(tmp_path, environ={"COMPOSE_FILE": "one.yaml:x/two.yaml"}))
    assert located.files == (one, two)
    assert located.directory == tmp_path
    environ = {"COMPOSE_FILE": "one.yaml,x/two.yaml", "COMPOSE_PATH_SEPARATOR": ","}
    assert locate(options(tmp_path, environ=environ)).files == (one, two)
    write(tmp_path / ".env", "COMPOSE_FILE=x/two.yaml\n")
    located = locate(options(tmp_path))
    assert located.files == (two,)
    assert located.directory == tmp_path / "x"


def test_process_environment_wins_over_dotenv(tmp_path: Path) -> None:
    write(tmp_path / "compose.yaml")
    write(tmp_path / ".env", "A=file\nB=file\nC=${A}\n")
    located = locate(options(tmp_path, environ={"A": "proc"}))
    assert located.dotenv == {"A": "file", "B": "file", "C": "proc"}
    assert dict(located.environment) == {"A": "proc", "B": "file", "C": "proc"}


def test_env_files_replace_the_default_and_later_ones_win(tmp_path: Path) -> None:
    write(tmp_path / "compose.yaml")
    write(tmp_path / ".env", "DEFAULT=yes\n")
    write(tmp_path / "one.env", "A=1\nB=1\n")
    write(tmp_path / "conf" / "two.env", "B=2\n")
    located = locate(options(tmp_path, env_files=("one.env", "conf/two.env")))
    assert located.dotenv == {"A": "1", "B": "2"}


def test_a_missing_env_file_given_explicitly_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "compose.yaml")
    with pytest.raises(SpecError, match=r"env file .*missing.env not found"):
        locate(options(tmp_path, env_files=("missing.env",)))


def test_compose_disable_env_file_skips_the_default_env(tmp_path: Path) -> None:
    write(tmp_path / "compose.yaml")
    write(tmp_path / ".env", "A=1\n")
    located = locate(options(tmp_path, environ={"COMPOSE_DISABLE_ENV_FILE": "true"}))
    assert located.dotenv == {}


def test_display_path_is_relative_inside_cwd_and_absolute_outside(tmp_path: Path) -> None:
    assert display_path(tmp_path / "a" / "compose.yaml", tmp_path) == "a/compose.yaml"
    assert display_path(Path("/elsewhere/compose.yaml"), tmp_path) == "/elsewhere/compose.yaml"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("My App", "myapp"), ("My_App-1", "my_app-1"), ("_abc", "abc"), ("-abc", "abc"),
        ("a.b", "ab"), ("ÄBC", "bc"), ("abc!", "abc"), ("1abc", "1abc"), ("UPPER", "upper"),
        ("My Dir.x", "mydirx"), (".hidden", "hidden"), ("___", ""), ("-_-x_-", "x_-"),
    ],
)  # fmt: skip
def test_derived_names_are_normalised_like_compose(raw: str, normalized: str) -> None:
    assert normalize_project_name(raw) == normalized


def test_name_precedence_p_then_environment_then_declared_then_directory() -> None:
    directory = Path("/srv/My Dir")
    env = {"COMPOSE_PROJECT_NAME": "fromenv"}
    assert choose_project_name("cli", env, "Declared", directory) == "cli"
    assert choose_project_name(None, env, "Declared", directory) == "fromenv"
    assert choose_project_name("", {}, "Declared", directory) == "declared"
    assert choose_project_name(None, {"COMPOSE_PROJECT_NAME": ""}, None, directory) == "mydir"


@pytest.mark.parametrize("bad", ["My App", "UPPER", "_abc", "-abc", "a.b", "ÄBC", "abc!"])
def test_explicit_names_must_already_be_valid(bad: str) -> None:
    expected = f'invalid project name "{bad}": must consist only of lowercase alphanumeric'
    with pytest.raises(SpecError, match=expected.replace(".", r"\.")):
        choose_project_name(bad, {}, None, Path("/x"))
    with pytest.raises(SpecError, match=expected.replace(".", r"\.")):
        choose_project_name(None, {"COMPOSE_PROJECT_NAME": bad}, None, Path("/x"))


@pytest.mark.parametrize(("declared", "directory"), [("___", "/srv/ok"), (None, "/srv/___")])
def test_a_name_that_normalises_to_nothing_is_an_error(
    declared: str | None, directory: str
) -> None:
    with pytest.raises(SpecError, match="project name must not be empty"):
        choose_project_name(None, {}, declared, Path(directory))
