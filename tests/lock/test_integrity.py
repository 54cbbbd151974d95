"""lock/pylock.py check_integrity: what makes a lock unsafe to install from (tampering, leaks, ambiguity)."""

from __future__ import annotations

from dataclasses import replace

from packaging.pylock import PackageArchive, PackageVcs, PackageWheel

from bale.lock.pylock import LockedPackage, LockInput, check_integrity, read_pylock, write_pylock
from tests.lock.helpers import digest, load, pure, sample_input, wheel

HOSTS = ["https://pypi.example.org/simple", "files.example.org"]


def test_a_clean_lock_has_no_problem() -> None:
    lock = load(write_pylock(sample_input()))
    assert check_integrity(lock, allowed_hosts=HOSTS) == []
    assert check_integrity(lock) == []


def test_a_hash_edited_by_hand_is_reported() -> None:
    text = write_pylock(LockInput((pure("a", "1"),)))
    good = digest("a-1-py3-none-any.whl")
    tampered = text.replace(good, good[:-1] + "z").replace(digest("a-1.tar.gz"), digest("a-1.tar.gz")[:40])
    assert check_integrity(load(tampered)) == [
        f"a 1: a-1-py3-none-any.whl: the sha256 hash '{good[:-1]}z' is not a valid digest",
        f"a 1: a-1.tar.gz: the sha256 hash '{digest('a-1.tar.gz')[:40]}' is not a valid digest",
    ]


def test_a_file_with_only_a_weak_hash_is_reported() -> None:
    text = """\
lock-version = "1.0"
created-by = "other"

[[packages]]
name = "a"
version = "1"
[[packages.wheels]]
name = "a-1-py3-none-any.whl"
url = "https://files.example.org/a-1-py3-none-any.whl"
hashes = { md5 = "0123456789abcdef0123456789abcdef" }
"""
    assert check_integrity(load(text)) == ["a 1: a-1-py3-none-any.whl has no sha256 (or stronger) hash"]


def test_a_url_on_another_host_is_reported() -> None:
    evil = PackageWheel(
        name="a-1-py3-none-any.whl",
        url="https://evil.example.net/a-1-py3-none-any.whl",
        hashes={"sha256": digest("evil")},
    )
    lock = load(write_pylock(LockInput((replace(pure("a", "1"), wheels=(evil,)), pure("b", "2")))))
    assert check_integrity(lock, allowed_hosts=HOSTS) == [
        "a 1: a-1-py3-none-any.whl comes from evil.example.net, which is not one of the configured indexes "
        "(https://evil.example.net/a-1-py3-none-any.whl)"
    ]
    assert check_integrity(lock, allowed_hosts=[*HOSTS, "EVIL.example.net"]) == []


def test_the_index_url_and_repository_urls_are_checked_too() -> None:
    vcs = LockedPackage(
        "g", "1", direct=PackageVcs(type="git", url="https://git.example.net/g.git", commit_id="a" * 40)
    )
    lock = load(write_pylock(LockInput((pure("a", "1", index="https://mirror.example.net/simple"), vcs))))
    assert check_integrity(lock, allowed_hosts=HOSTS) == [
        "a 1: its index comes from mirror.example.net, which is not one of the configured indexes "
        "(https://mirror.example.net/simple)",
        "g 1: its repository comes from git.example.net, which is not one of the configured indexes "
        "(https://git.example.net/g.git)",
    ]


def test_ports_must_match_when_given() -> None:
    local = wheel("a-1-py3-none-any.whl", base="http://127.0.0.1:8123/files")
    lock = load(write_pylock(LockInput((LockedPackage("a", "1", wheels=(local,)),))))
    assert check_integrity(lock, allowed_hosts=["http://127.0.0.1:8123/simple"]) == []
    assert check_integrity(lock, allowed_hosts=["127.0.0.1:8123"]) == []
    assert check_integrity(lock, allowed_hosts=["127.0.0.1"]) == []  # a bare host allows every port
    (problem,) = check_integrity(lock, allowed_hosts=["127.0.0.1:9999"])
    assert "comes from 127.0.0.1, which is not one of the configured indexes" in problem


def test_file_urls_are_allowed_only_with_a_file_index() -> None:
    local = wheel("a-1-py3-none-any.whl", base="file:///srv/wheels")
    relative = LockedPackage(
        "b", "1", direct=PackageArchive(path="vendor/b-1.tar.gz", hashes={"sha256": digest("b")})
    )
    lock = load(write_pylock(LockInput((LockedPackage("a", "1", wheels=(local,)), relative))))
    (problem,) = check_integrity(lock, allowed_hosts=HOSTS)
    assert problem.startswith(
        "a 1: a-1-py3-none-any.whl comes from file:, which is not one of the configured"
    )
    assert check_integrity(lock, allowed_hosts=[*HOSTS, "file:///srv/index/simple"]) == []


def test_a_file_name_that_differs_from_its_url_is_reported() -> None:
    swapped = PackageWheel(
        name="a-1-py3-none-any.whl",
        url="https://files.example.org/packages/a-1-cp312-cp312-win_amd64.whl",
        hashes={"sha256": digest("x")},
    )
    lock = load(write_pylock(LockInput((LockedPackage("a", "1", wheels=(swapped,)),))))
    assert check_integrity(lock, allowed_hosts=HOSTS) == [
        "a 1: the file a-1-py3-none-any.whl is fetched from "
        "https://files.example.org/packages/a-1-cp312-cp312-win_amd64.whl, "
        "a file named a-1-cp312-cp312-win_amd64.whl"
    ]


def test_credentials_in_a_hand_edited_lock_are_reported() -> None:
    text = write_pylock(LockInput((pure("a", "1"),))).replace(
        "https://files.example.org", "https://user:token@files.example.org"
    )
    problems = check_integrity(read_pylock(text, source="pylock.toml"), allowed_hosts=HOSTS)
    assert problems == [
        "a 1: the URL of a-1-py3-none-any.whl holds credentials",
        "a 1: the URL of a-1.tar.gz holds credentials",
    ]


def test_overlapping_duplicates_are_reported_and_disjoint_ones_are_not() -> None:
    forked = (
        pure("a", "1", marker="python_full_version < '3.10'"),
        pure("a", "2", marker="python_full_version >= '3.10'"),
        pure("b", "1", marker="sys_platform == 'win32'"),
        pure("b", "2", marker="os_name == 'posix'"),
    )
    assert check_integrity(load(write_pylock(LockInput(forked)))) == []
    overlapping = (
        pure("a", "1", marker="python_full_version < '3.11'"),
        pure("a", "2", marker="python_full_version >= '3.10'"),
        pure("c", "1", marker="'x' in extras"),
        pure("c", "2", marker="'y' in extras"),
    )
    assert check_integrity(load(write_pylock(LockInput(overlapping, extras=("x", "y"))))) == [
        "a is listed twice (1 and 2) with markers that can hold together: "
        "'python_full_version < \"3.11\"' / 'python_full_version >= \"3.10\"'",
        "c is listed twice (1 and 2) with markers that can hold together: "
        "'\"x\" in extras' / '\"y\" in extras'",
    ]


def test_overlap_outside_requires_python_does_not_count() -> None:
    entries = (
        pure("a", "1", marker="python_full_version < '3.9'"),
        pure("a", "2", marker="python_full_version < '3.12'"),
    )
    # Both hold on 3.8 only: a problem when the lock supports 3.8, none when it does not.
    assert len(check_integrity(load(write_pylock(LockInput(entries, requires_python=">=3.8"))))) == 1
    assert check_integrity(load(write_pylock(LockInput(entries, requires_python=">=3.10")))) == []


def test_overlap_outside_the_environments_does_not_count() -> None:
    entries = (
        pure("a", "1", marker="sys_platform == 'win32'"),
        pure("a", "2", marker="python_full_version >= '3.12'"),
    )
    assert len(check_integrity(load(write_pylock(LockInput(entries))))) == 1
    limited = LockInput(entries, environments=("sys_platform == 'linux'", "sys_platform == 'darwin'"))
    assert check_integrity(load(write_pylock(limited))) == []


def test_one_url_with_two_hashes_is_reported() -> None:
    first = pure("a", "1", marker="sys_platform == 'win32'")
    second = replace(first, marker="sys_platform == 'linux'")
    text = write_pylock(LockInput((first, second)))
    good = digest("a-1-py3-none-any.whl")
    tampered = text.replace(good, "0" * 64, 1)
    assert check_integrity(load(text)) == []
    assert check_integrity(load(tampered)) == [
        "a 1: a-1-py3-none-any.whl has another sha256 hash than the same URL in a 1"
    ]
