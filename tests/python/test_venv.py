"""create_venv, PythonEnvironment and find_environment against real interpreters."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bale import __version__
from bale.errors import BaleError
from bale.python import venv as venv_module
from bale.python.probe import Interpreter, probe
from bale.python.venv import PythonEnvironment, create_venv, find_environment

Make = Callable[..., Path]


@pytest.fixture
def interpreter(real_python: Callable[[str], Path], probe_cache: Path) -> Callable[[str], Interpreter]:
    return lambda minor: probe(real_python(minor), probe_cache)


def _run(python: Path, code: str) -> dict[str, object]:
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


_FACTS = (
    "import json, site, sys, sysconfig; print(json.dumps({'prefix': sys.prefix, 'base': sys.base_prefix, "
    "'purelib': sysconfig.get_paths()['purelib'], 'site': site.getsitepackages(), 'path': sys.path}))"
)


@pytest.mark.parametrize("minor", ["3.12", "3.8"])
def test_venv_runs_with_its_own_prefix_and_site_packages(
    minor: str, interpreter: Callable[[str], Interpreter], probe_cache: Path, tmp_path: Path
) -> None:
    base = interpreter(minor)
    root = create_venv(tmp_path / "env", base)
    assert root == tmp_path / "env"
    environment = PythonEnvironment.from_root(root, probe_cache)
    scheme = environment.scheme()
    facts = _run(environment.python, _FACTS)
    assert facts["prefix"] == os.fspath(root)
    assert facts["base"] == os.fspath(base.prefix)
    assert facts["purelib"] == os.fspath(scheme.purelib)
    assert os.fspath(scheme.purelib) in facts["site"]  # type: ignore[operator]
    assert os.fspath(scheme.purelib) in facts["path"]  # type: ignore[operator]
    assert scheme.purelib.is_dir()
    assert scheme.purelib == root / "lib" / f"python{minor}" / "site-packages"
    assert scheme.scripts == root / "bin"
    assert scheme.data == root
    assert scheme.headers == root / "include" / "site" / f"python{minor}"
    assert scheme.python == root / "bin" / "python"
    assert environment.site_packages() == [scheme.purelib]
    assert environment.interpreter.is_venv
    assert environment.interpreter.version == base.version
    for name in ("python", "python3", f"python{minor}"):
        assert (root / "bin" / name).is_symlink()
    assert os.readlink(root / "lib64") == "lib"
    assert (root / ".gitignore").read_text() == "*\n"
    # The root is made with the umask's mode, not mkdtemp's 0o700.
    umask = os.umask(0)
    os.umask(umask)
    assert root.stat().st_mode & 0o777 == 0o777 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["env"]  # no staging folders left behind


def test_pyvenv_cfg(interpreter: Callable[[str], Interpreter], tmp_path: Path) -> None:
    base = interpreter("3.12")
    root = create_venv(tmp_path / "env", base, prompt="my project", system_site_packages=True)
    config = dict(line.split(" = ", 1) for line in (root / "pyvenv.cfg").read_text().splitlines())
    assert config["home"] == os.fspath(base.base_executable.parent)
    assert config["include-system-site-packages"] == "true"
    assert config["version"] == config["version_info"] == str(base.version)
    assert config["implementation"] == "CPython"
    assert config["executable"] == os.path.realpath(base.base_executable)
    assert config["prompt"] == "my project"
    assert config["bale"] == __version__
    assert "prompt" not in (create_venv(tmp_path / "plain", base) / "pyvenv.cfg").read_text()


def _bash(script: str, env: dict[str, str]) -> list[str]:
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, check=True)
    return done.stdout.splitlines()


def test_bash_activate_and_deactivate(interpreter: Callable[[str], Interpreter], tmp_path: Path) -> None:
    root = create_venv(tmp_path / "it's env", interpreter("3.12"), prompt="demo")
    env = {"PATH": "/usr/bin:/bin", "HOME": os.fspath(tmp_path), "PYTHONHOME": "/nowhere"}
    lines = _bash(
        f"source {shlex.quote(os.fspath(root / 'bin' / 'activate'))}\n"
        'echo "$VIRTUAL_ENV"; command -v python; echo "$PS1"; echo "${PYTHONHOME-unset}"\n'
        'python -c "import sys; print(sys.prefix)"\n'
        'deactivate; echo "$PATH"; echo "${VIRTUAL_ENV-unset}"; echo "${PYTHONHOME-unset}"\n'
        "type deactivate >/dev/null 2>&1 || echo deactivate-removed\n",
        env,
    )
    assert lines == [
        os.fspath(root),
        os.fspath(root / "bin" / "python"),
        "(demo) ",
        "unset",
        os.fspath(root),
        "/usr/bin:/bin",
        "unset",
        "/nowhere",
        "deactivate-removed",
    ]


def test_activating_one_venv_after_another_does_not_stack(
    interpreter: Callable[[str], Interpreter], tmp_path: Path
) -> None:
    first = create_venv(tmp_path / "one", interpreter("3.12"))
    second = create_venv(tmp_path / "two", interpreter("3.12"))
    env = {"PATH": "/usr/bin:/bin", "HOME": os.fspath(tmp_path)}
    lines = _bash(f'source {first}/bin/activate; source {second}/bin/activate; echo "$PATH"', env)
    assert lines == [f"{second}/bin:/usr/bin:/bin"]


def test_activate_this(interpreter: Callable[[str], Interpreter], tmp_path: Path) -> None:
    base = interpreter("3.12")
    root = create_venv(tmp_path / "env", base)
    code = (
        "import json, sys; this = sys.argv[1]; exec(open(this).read(), {'__file__': this}); "
        "print(json.dumps({'prefix': sys.prefix, 'first': sys.path[0]}))"
    )
    done = subprocess.run(
        [base.executable, "-c", code, root / "bin" / "activate_this.py"],
        capture_output=True,
        text=True,
        check=True,
    )
    facts = json.loads(done.stdout)
    assert facts == {
        "prefix": os.fspath(root),
        "first": os.fspath(root / "lib" / "python3.12" / "site-packages"),
    }


def test_other_activation_scripts_are_written(
    interpreter: Callable[[str], Interpreter], tmp_path: Path
) -> None:
    root = create_venv(tmp_path / "env", interpreter("3.12"), prompt="demo")
    for name in ("activate.fish", "activate.csh", "activate.nu", "activate.ps1"):
        text = (root / "bin" / name).read_text()
        assert os.fspath(root) in text, name
        assert "demo" in text, name
    assert not (root / "bin" / "activate.bat").exists()


def test_seed_installs_a_working_pip(interpreter: Callable[[str], Interpreter], tmp_path: Path) -> None:
    root = create_venv(tmp_path / "env", interpreter("3.12"), seed=True)
    done = subprocess.run(
        [root / "bin" / "python", "-m", "pip", "--version"], capture_output=True, text=True, check=True
    )
    assert f"from {root / 'lib' / 'python3.12' / 'site-packages' / 'pip'}" in done.stdout
    assert (root / "bin" / "pip").is_file()


def test_existing_non_venv_folder_is_refused_and_untouched(
    interpreter: Callable[[str], Interpreter], tmp_path: Path
) -> None:
    target = tmp_path / "project"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    for clear in (False, True):
        with pytest.raises(BaleError) as caught:
            create_venv(target, interpreter("3.12"), clear=clear)
        assert caught.value.message == f"{target} exists and is not a virtual environment"
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert (target / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_empty_folder_becomes_a_venv(interpreter: Callable[[str], Interpreter], tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()
    create_venv(tmp_path / "env", interpreter("3.12"))
    assert (tmp_path / "env" / "pyvenv.cfg").is_file()


def test_existing_venv_needs_clear_and_clear_replaces_it(
    interpreter: Callable[[str], Interpreter], tmp_path: Path
) -> None:
    root = create_venv(tmp_path / "env", interpreter("3.12"))
    marker = root / "lib" / "python3.12" / "site-packages" / "old.py"
    marker.write_text("")
    with pytest.raises(BaleError, match=r"A virtual environment already exists at") as caught:
        create_venv(root, interpreter("3.12"))
    assert caught.value.hint == "pass --clear to replace it, or --allow-existing to update it in place"
    assert marker.exists()
    create_venv(root, interpreter("3.13") if _has("3.13") else interpreter("3.12"), clear=True)
    assert not marker.exists()
    assert (root / "pyvenv.cfg").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env"]


def test_allow_existing_keeps_installed_files(
    interpreter: Callable[[str], Interpreter], tmp_path: Path
) -> None:
    root = create_venv(tmp_path / "env", interpreter("3.12"))
    marker = root / "lib" / "python3.12" / "site-packages" / "kept.py"
    marker.write_text("")
    create_venv(root, interpreter("3.12"), allow_existing=True, prompt="renamed")
    assert marker.exists()
    assert "prompt = renamed" in (root / "pyvenv.cfg").read_text()


def test_failed_creation_leaves_nothing_and_failed_clear_keeps_the_old_venv(
    interpreter: Callable[[str], Interpreter], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = create_venv(tmp_path / "env", interpreter("3.12"), prompt="old")

    def fail(*args: object, **kwargs: object) -> None:
        raise BaleError("seeding failed on purpose")

    monkeypatch.setattr(venv_module, "_seed", fail)
    with pytest.raises(BaleError, match=r"seeding failed on purpose"):
        create_venv(root, interpreter("3.12"), prompt="new", clear=True, seed=True)
    assert "prompt = old" in (root / "pyvenv.cfg").read_text()
    with pytest.raises(BaleError, match=r"seeding failed on purpose"):
        create_venv(tmp_path / "fresh", interpreter("3.12"), seed=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["env"]


def test_venv_from_a_venv_links_to_the_base_interpreter(
    interpreter: Callable[[str], Interpreter], probe_cache: Path, tmp_path: Path
) -> None:
    base = interpreter("3.12")
    outer = PythonEnvironment.from_root(create_venv(tmp_path / "outer", base), probe_cache)
    inner = create_venv(tmp_path / "inner", outer.interpreter)
    link = os.readlink(inner / "bin" / "python")
    assert not link.startswith(os.fspath(tmp_path))  # the base interpreter, not the outer venv's python
    assert os.path.realpath(link) == os.path.realpath(base.base_executable)
    facts = _run(inner / "bin" / "python", _FACTS)
    assert facts["prefix"] == os.fspath(inner)
    assert facts["base"] == os.fspath(base.prefix)


def _has(minor: str) -> bool:
    from tests.python.conftest import find_real_python

    return find_real_python(minor) is not None


# ---- PythonEnvironment.from_root and find_environment -----------------------------------------------


def test_from_root_errors(
    interpreter: Callable[[str], Interpreter], probe_cache: Path, tmp_path: Path
) -> None:
    with pytest.raises(BaleError, match=r"No virtual environment at .*nothing: the directory does not exist"):
        PythonEnvironment.from_root(tmp_path / "nothing", probe_cache)
    (tmp_path / "plain").mkdir()
    with pytest.raises(BaleError, match=r"plain is not a virtual environment \(it has no pyvenv.cfg\)"):
        PythonEnvironment.from_root(tmp_path / "plain", probe_cache)
    root = create_venv(tmp_path / "broken", interpreter("3.12"))
    for name in ("python", "python3", "python3.12"):
        (root / "bin" / name).unlink()
    with pytest.raises(BaleError, match=r"The virtual environment at .*broken has no interpreter"):
        PythonEnvironment.from_root(root, probe_cache)
    (root / "bin" / "python").symlink_to(tmp_path / "uninstalled" / "python3.12")
    with pytest.raises(BaleError, match=r"The Python interpreter link .* is broken") as caught:
        PythonEnvironment.from_root(root, probe_cache)
    assert caught.value.hint == "if this is a virtual environment, recreate it with `bale venv --clear`"


def test_find_environment_order(
    interpreter: Callable[[str], Interpreter], probe_cache: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / "src" / "pkg").mkdir(parents=True)
    dot_venv = create_venv(project / ".venv", interpreter("3.12"))
    active = create_venv(tmp_path / "active", interpreter("3.12"))
    other = create_venv(tmp_path / "other", interpreter("3.12"))
    cwd = project / "src" / "pkg"

    def find(request: str | None, env: dict[str, str]) -> Path:
        return find_environment(python_request=request, cwd=cwd, cache_dir=probe_cache, env=env).root

    assert find(None, {}) == dot_venv
    assert find(None, {"VIRTUAL_ENV": os.fspath(active)}) == active
    assert find(os.fspath(other), {"VIRTUAL_ENV": os.fspath(active)}) == other
    assert find(os.fspath(other / "bin" / "python"), {}) == other
    assert find("3.12", {"VIRTUAL_ENV": os.fspath(active)}) == active


def test_find_environment_without_any_venv(probe_cache: Path, tmp_path: Path) -> None:
    with pytest.raises(BaleError) as caught:
        find_environment(python_request=None, cwd=tmp_path, cache_dir=probe_cache, env={})
    assert caught.value.message == (
        "No virtual environment found; run `bale venv` to create one in the current directory"
    )
    with pytest.raises(BaleError, match=r"The active virtual environment \(VIRTUAL_ENV=.*gone\) is unusable"):
        find_environment(
            python_request=None,
            cwd=tmp_path,
            cache_dir=probe_cache,
            env={"VIRTUAL_ENV": os.fspath(tmp_path / "gone")},
        )


def test_find_environment_refuses_a_system_interpreter(
    real_python: Callable[[str], Path], probe_cache: Path, tmp_path: Path
) -> None:
    python = real_python("3.12")
    with pytest.raises(BaleError) as caught:
        find_environment(python_request=os.fspath(python), cwd=tmp_path, cache_dir=probe_cache, env={})
    assert caught.value.message.startswith(f"{python} (Python 3.12.")
    assert caught.value.message.endswith(
        "is not a virtual environment; bale installs only into virtual environments"
    )
    assert caught.value.hint == f"create one with `bale venv --python {python}` and run the command again"


def test_find_environment_fast_path_runs_no_subprocess(
    interpreter: Callable[[str], Interpreter], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "interpreters-v1"
    root = create_venv(tmp_path / ".venv", interpreter("3.12"))
    first = find_environment(python_request=None, cwd=tmp_path, cache_dir=cache, env={})

    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError("ran a subprocess")

    monkeypatch.setattr(subprocess, "run", no_subprocess)
    again = find_environment(python_request=None, cwd=tmp_path, cache_dir=cache, env={})
    assert again == first
    assert again.root == root
