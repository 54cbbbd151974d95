"""Pure core: the install plan, candidate selection and the requirements writer, in milliseconds."""

from __future__ import annotations

from packaging.specifiers import SpecifierSet
from packaging.tags import Tag
from packaging.utils import canonicalize_name
from packaging.version import Version

from bale.lock.requirements_txt import Format, Pinned, render
from bale.model.dists import IndexFile, parse_filename
from bale.model.target import TargetEnv
from bale.plan import Present, Wanted, make_plan
from bale.resolver.candidates import Choice, NoCandidate, PreReleases, SelectOptions, select

N = canonicalize_name
TARGET = TargetEnv(
    python_version=Version("3.11.7"),
    markers={"python_version": "3.11", "sys_platform": "linux", "platform_machine": "x86_64"},
    tags=(
        Tag("cp311", "cp311", "manylinux_2_17_x86_64"),
        Tag("cp311", "abi3", "manylinux_2_17_x86_64"),
        Tag("py3", "none", "any"),
    ),
)


def _file(filename: str, **kwargs: object) -> IndexFile:
    parsed = parse_filename(filename)
    assert parsed is not None
    return IndexFile(
        filename=filename,
        url=f"https://h/{filename}",
        name=parsed.name,
        version=parsed.version,
        kind=parsed.kind,
        **kwargs,
    )  # type: ignore[arg-type]


def test_plan_keeps_adds_replaces_and_removes() -> None:
    installed = {
        N("a"): Present(N("a"), Version("1")),
        N("b"): Present(N("b"), Version("1")),
        N("c"): Present(N("c"), Version("1")),
        N("bale"): Present(N("bale"), Version("0.1")),
    }
    wanted = [
        Wanted(N("a"), Version("1"), None, "a"),
        Wanted(N("b"), Version("2"), None, "b"),
        Wanted(N("d"), Version("1"), None, "d"),
    ]
    plan = make_plan(wanted, installed, exact=True, protected={N("bale")})
    assert [p.name for p in plan.keep] == ["a"]
    assert [w.name for w in plan.install] == ["d"]
    assert [(old.name, new.version) for old, new in plan.replace] == [("b", Version("2"))]
    assert [p.name for p in plan.remove] == ["c"]
    assert not make_plan(wanted[:1], installed, exact=False).remove
    forced = make_plan(wanted[:1], installed, exact=False, reinstall={N("a")})
    assert [old.name for old, _ in forced.replace] == ["a"]


def test_plan_treats_a_url_install_as_different() -> None:
    installed = {N("a"): Present(N("a"), Version("1"), url="file:///a-1-py3-none-any.whl")}
    plan = make_plan([Wanted(N("a"), Version("1"), None, "a")], installed, exact=False)
    assert len(plan.replace) == 1


def test_select_prefers_best_tag_and_highest_version() -> None:
    files = [
        _file("x-2.0-py3-none-any.whl"),
        _file("x-2.0-cp311-cp311-manylinux_2_17_x86_64.whl"),
        _file("x-3.0-cp312-cp312-win_amd64.whl"),
        _file("x-1.0-py3-none-any.whl"),
    ]
    choice = select(files, SpecifierSet(), TARGET)
    assert isinstance(choice, Choice)
    assert choice.file.filename == "x-2.0-cp311-cp311-manylinux_2_17_x86_64.whl"


def test_select_explains_every_version() -> None:
    files = [
        _file("x-3.0-cp312-cp312-win_amd64.whl"),
        _file("x-2.0-py3-none-any.whl", requires_python=">=3.12"),
        _file("x-1.5-py3-none-any.whl", yanked="bad"),
        _file("x-4.0rc1-py3-none-any.whl"),
    ]
    outcome = select(files, SpecifierSet("<4.0"), TARGET, SelectOptions(prereleases=PreReleases.DISALLOW))
    assert isinstance(outcome, NoCandidate)
    assert [(str(r.version), r.detail) for r in outcome.rejections] == [
        ("3.0", "has no wheel for this platform (its wheels are for cp312-cp312-win_amd64)"),
        ("2.0", "requires Python >=3.12"),
        ("1.5", "was yanked (bad)"),
    ]


def test_yanked_only_for_an_exact_pin_with_a_warning() -> None:
    files = [_file("x-1.5-py3-none-any.whl", yanked="bad")]
    choice = select(files, SpecifierSet("==1.5"), TARGET)
    assert isinstance(choice, Choice) and choice.warning == "x==1.5 is yanked (reason: bad)"


def test_prerelease_policies() -> None:
    files = [_file("x-1.0-py3-none-any.whl"), _file("x-2.0b1-py3-none-any.whl")]

    def version(spec: str, policy: PreReleases) -> Version:
        choice = select(files, SpecifierSet(spec), TARGET, SelectOptions(prereleases=policy))
        assert isinstance(choice, Choice)
        return choice.file.version

    assert version("", PreReleases.IF_NECESSARY_OR_EXPLICIT) == Version("1.0")
    assert version(">=2.0b1", PreReleases.IF_NECESSARY_OR_EXPLICIT) == Version("2.0b1")
    assert version(">1.0", PreReleases.IF_NECESSARY) == Version("2.0b1")
    assert version("", PreReleases.ALLOW) == Version("2.0b1")


def test_requirements_writer_sorts_and_annotates() -> None:
    pins = [
        Pinned(N("zeta"), "zeta", Version("1"), via=("alpha",)),
        Pinned(
            N("alpha"),
            "alpha",
            Version("2"),
            marker="sys_platform == 'win32'",
            via=("-r in.txt", "zeta"),
            hashes=("sha256:bb", "sha256:aa"),
        ),
    ]
    assert render(pins, Format(command="bale pip compile in.txt")) == (
        "# This file was autogenerated by bale via the following command:\n"
        "#    bale pip compile in.txt\n"
        "alpha==2 ; sys_platform == 'win32' \\\n"
        "    --hash=sha256:aa \\\n"
        "    --hash=sha256:bb\n"
        "    # via\n"
        "    #   -r in.txt\n"
        "    #   zeta\n"
        "zeta==1\n"
        "    # via alpha\n"
    )
    assert render(pins, Format(header=False, annotate=False)).startswith("alpha==2 ;")
