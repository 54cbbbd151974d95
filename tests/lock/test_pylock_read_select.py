"""lock/pylock.py read_pylock and select_for_environment: what one interpreter installs from a lock."""

from __future__ import annotations

import pytest
from packaging.pylock import PackageDirectory
from packaging.version import Version

from bale.errors import BaleError
from bale.lock.pylock import (
    LockedPackage,
    LockInput,
    Selected,
    read_pylock,
    select_for_environment,
    write_pylock,
)
from tests.lock.helpers import environment, pure, sample_input, tags, wheel

SOURCE = "/project/pylock.toml"


def read_sample(**fields: object) -> object:
    return read_pylock(write_pylock(sample_input(**fields)), source=SOURCE)


def pick(system: str, python: str = "3.12.4", **options: object) -> dict[str, str]:
    lock = read_pylock(write_pylock(sample_input()), source=SOURCE)
    minor = ".".join(python.split(".")[:2])
    chosen = select_for_environment(
        lock,
        environment=environment(system, python),
        tags=tags(system, minor),
        **options,  # type: ignore[arg-type]
    )
    return {item.name: item.file.filename for item in chosen if item.file is not None}


def test_linux_gets_the_manylinux_wheel_and_no_windows_packages() -> None:
    assert pick("linux") == {
        "app-lib": "app_lib-1.0-py3-none-any.whl",
        "numpy": "numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    }


def test_windows_gets_its_wheel_and_colorama() -> None:
    assert pick("windows") == {
        "app-lib": "app_lib-1.0-py3-none-any.whl",
        "colorama": "colorama-0.4.6-py3-none-any.whl",
        "numpy": "numpy-2.2.3-cp312-cp312-win_amd64.whl",
    }


def test_mac_gets_the_arm64_wheel() -> None:
    assert pick("mac")["numpy"] == "numpy-2.2.3-cp312-cp312-macosx_14_0_arm64.whl"


def test_older_python_takes_the_other_fork_and_falls_back_to_the_sdist() -> None:
    assert (
        pick("linux", "3.9.18")["numpy"]
        == "numpy-1.26.4-cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    )
    # No cp39 Windows wheel in the lock: the sdist is the file to build.
    assert pick("windows", "3.9.18")["numpy"] == "numpy-1.26.4.tar.gz"


def test_extras_and_groups_are_selected_by_their_markers() -> None:
    assert set(pick("linux", extras=["fast"])) == {"app-lib", "numpy", "orjson"}
    assert set(pick("linux", groups=["dev"])) == {"app-lib", "numpy", "pytest"}
    assert set(pick("windows", groups=["Dev"], extras=["FAST"])) == {
        "app-lib",
        "colorama",
        "numpy",
        "orjson",
        "pytest",
        "pywin32-ctypes",
    }


def test_default_groups_apply_when_no_group_is_named() -> None:
    lock = read_pylock(write_pylock(sample_input(default_groups=("dev",))), source=SOURCE)
    env, wheel_tags = environment("linux"), tags("linux")
    assert "pytest" in {item.name for item in select_for_environment(lock, environment=env, tags=wheel_tags)}
    chosen = select_for_environment(lock, environment=env, tags=wheel_tags, groups=[])
    assert "pytest" not in {item.name for item in chosen}


def test_selected_values_carry_what_an_installer_needs() -> None:
    lock = read_pylock(write_pylock(sample_input()), source=SOURCE)
    chosen = select_for_environment(lock, environment=environment("linux"), tags=tags("linux"))
    numpy = next(item for item in chosen if item.name == "numpy")
    assert isinstance(numpy, Selected)
    assert numpy.version == Version("2.2.3")
    assert numpy.index == "https://pypi.example.org/simple"
    assert numpy.file is not None and numpy.file.kind == "wheel"
    assert numpy.file.url == (
        "https://files.example.org/packages/numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    )
    assert numpy.file.size == 1000
    assert set(numpy.file.hashes) == {"sha256"}
    assert not numpy.is_direct and not numpy.editable
    assert [item.name for item in chosen] == sorted(item.name for item in chosen)


def test_editable_directory_is_selected_as_such() -> None:
    packages = (LockedPackage("demo", None, direct=PackageDirectory(path=".", editable=True)), pure("a", "1"))
    lock = read_pylock(write_pylock(LockInput(packages)), source=SOURCE)
    chosen = select_for_environment(lock, environment=environment("linux"), tags=tags("linux"))
    demo = chosen[1]
    assert (demo.name, demo.file, demo.editable, demo.is_direct) == ("demo", None, True, True)
    assert demo.directory == PackageDirectory(path=".", editable=True)


def test_no_compatible_wheel_names_the_package_and_the_tags() -> None:
    only_windows = LockedPackage("winonly", "1.0", wheels=(wheel("winonly-1.0-cp312-cp312-win_amd64.whl"),))
    lock = read_pylock(write_pylock(LockInput((only_windows,))), source=SOURCE)
    with pytest.raises(BaleError) as caught:
        select_for_environment(lock, environment=environment("linux"), tags=tags("linux"), source=SOURCE)
    error = caught.value
    assert error.message == f"{SOURCE} has no wheel of winonly 1.0 for this interpreter, and no sdist"
    assert error.context == (
        "environment: python_full_version '3.12.4', sys_platform 'linux', platform_machine 'x86_64'",
        "the lock's wheels have the tags: cp312-cp312-win_amd64",
        "this interpreter accepts: cp312-cp312-manylinux_2_17_x86_64, cp312-cp312-manylinux2014_x86_64, "
        "cp312-cp312-linux_x86_64, cp312-abi3-manylinux_2_17_x86_64, cp312-abi3-manylinux2014_x86_64, ...",
    )


def test_python_outside_requires_python_is_refused() -> None:
    lock = read_pylock(write_pylock(sample_input(requires_python=">=3.10")), source=SOURCE)
    with pytest.raises(BaleError) as caught:
        select_for_environment(
            lock, environment=environment("linux", "3.9.18"), tags=tags("linux", "3.9"), source=SOURCE
        )
    assert caught.value.message == f"{SOURCE} does not support Python 3.9.18"
    assert caught.value.context == ("the lock's requires-python: >=3.10",)


def test_package_requires_python_is_checked() -> None:
    strict = pure("strict", "1.0", requires_python=">=3.13")
    lock = read_pylock(write_pylock(LockInput((strict,))), source=SOURCE)
    with pytest.raises(BaleError, match=r"has a package that does not support Python 3\.12\.4"):
        select_for_environment(lock, environment=environment("linux"), tags=tags("linux"), source=SOURCE)


def test_environment_outside_the_lock_environments_is_refused() -> None:
    lock = read_pylock(write_pylock(sample_input(environments=("sys_platform == 'linux'",))), source=SOURCE)
    with pytest.raises(BaleError) as caught:
        select_for_environment(lock, environment=environment("windows"), tags=tags("windows"), source=SOURCE)
    assert caught.value.message.startswith(f"{SOURCE} was not locked for this environment")
    assert caught.value.context == ('environments: sys_platform == "linux"',)


def test_unknown_extra_or_group_is_an_error() -> None:
    lock = read_pylock(write_pylock(sample_input()), source=SOURCE)
    with pytest.raises(BaleError, match="has no extra named nope"):
        select_for_environment(lock, environment=environment("linux"), tags=tags("linux"), extras=["nope"])
    with pytest.raises(BaleError, match="has no dependency group named docs"):
        select_for_environment(lock, environment=environment("linux"), tags=tags("linux"), groups=["docs"])


def test_newer_lock_version_needs_a_newer_bale() -> None:
    text = write_pylock(sample_input()).replace('lock-version = "1.0"', 'lock-version = "2.0"')
    with pytest.raises(BaleError) as caught:
        read_pylock(text, source=SOURCE)
    assert (
        caught.value.message == f"{SOURCE} uses lock-version 2.0, which this bale cannot read (it reads 1.x)"
    )
    assert caught.value.hint == "a newer bale is needed; upgrade bale"


def test_newer_minor_lock_version_is_read() -> None:
    text = write_pylock(sample_input()).replace('lock-version = "1.0"', 'lock-version = "1.1"')
    assert str(read_pylock(text, source=SOURCE).lock_version) == "1.1"


def test_invalid_toml_names_the_file() -> None:
    with pytest.raises(BaleError, match=r"^/project/pylock.toml is not valid TOML: .*line 2"):
        read_pylock('lock-version = "1.0"\nnot toml\n', source=SOURCE)


def test_invalid_entry_names_the_file_the_package_and_the_field() -> None:
    text = """\
lock-version = "1.0"
created-by = "other"

[[packages]]
name = "good"
version = "1"
[[packages.wheels]]
name = "good-1-py3-none-any.whl"
url = "https://x/good-1-py3-none-any.whl"
hashes = { sha256 = "00" }

[[packages]]
name = "broken"
version = "2"
wheels = [{ name = "broken-2-py3-none-any.whl", url = "https://x/broken-2-py3-none-any.whl", hashes = {} }]
"""
    with pytest.raises(BaleError) as caught:
        read_pylock(text, source=SOURCE)
    expected = f"{SOURCE}: invalid lock entry for broken: broken-2-py3-none-any.whl has no hash"
    assert caught.value.message == expected
    assert caught.value.context == ("field: packages[1].wheels[0].hashes",)


def test_missing_top_level_field_is_named() -> None:
    with pytest.raises(BaleError) as caught:
        read_pylock('lock-version = "1.0"\npackages = []\n', source=SOURCE)
    assert caught.value.message == f"{SOURCE}: invalid lock file: Missing required value"
    assert caught.value.context == ("field: created-by",)
