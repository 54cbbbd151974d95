"""Terms: set relations over packaging ranges, and how ranges are printed."""

from __future__ import annotations

import pytest
from packaging.ranges import VersionRange
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from bale.resolver.provider import Dependency, PackageId, full_range, requirement_dependencies, spec_range
from bale.resolver.scenario import marker_environment
from bale.resolver.term import Relation, Term, describe_range

A = PackageId.dist("a")


def pos(spec: str) -> Term:
    return Term(A, spec_range(spec))


def neg(spec: str) -> Term:
    return pos(spec).negate()


def test_positive_terms_relate_by_their_ranges() -> None:
    assert pos(">=1,<2").relation(pos(">=1")) is Relation.SATISFIED
    assert pos(">=1").relation(pos(">=1,<2")) is Relation.INCONCLUSIVE
    assert pos("<1").relation(pos(">=2")) is Relation.CONTRADICTED


def test_negative_terms_include_not_selecting_the_package() -> None:
    # "not a>=2" holds when a is absent, so it never satisfies a positive term...
    assert neg(">=2").relation(pos("<2")) is Relation.INCONCLUSIVE
    # ...and two negative terms are never disjoint.
    assert neg(">=2").relation(neg("<2")) is Relation.INCONCLUSIVE
    assert neg(">=1").relation(neg(">=2")) is Relation.SATISFIED
    assert pos("<2").relation(neg(">=2")) is Relation.SATISFIED
    assert pos(">=2").relation(neg(">=1")) is Relation.CONTRADICTED


def test_intersection_of_positive_and_negative_is_a_difference() -> None:
    term = pos(">=1").intersect(neg(">=2"))
    assert term.positive
    # Not ">=1,<2": that one leaves out 2.0's pre-releases, which "not >=2" keeps.
    assert term.allowed == spec_range(">=1") - spec_range(">=2")
    assert term.allowed.contains(Version("2.0b1"))
    both_negative = neg(">=2").intersect(neg("<1"))
    assert not both_negative.positive
    assert both_negative.excluded == spec_range("<1") | spec_range(">=2")


def test_emptiness_needs_a_positive_term() -> None:
    assert pos(">=2").intersect(pos("<1")).is_empty
    assert not neg("").is_empty  # "not any version" still allows leaving the package out
    assert Term.any(A).allowed == full_range()


def test_ranges_keep_pre_releases_so_algebra_composes() -> None:
    assert spec_range(">=1").contains(Version("2.0b1"))
    assert not spec_range(">=2").contains(Version("2.0b1"))
    assert spec_range("==1.0").contains(Version("1.0+local"))
    assert not spec_range(">1.0").contains(Version("1.0.post1"))


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (">=1.0,<2.0", ">=1.0,<2.0"),
        ("==1.0", "==1.0"),
        ("==1.*", "==1.*"),
        ("!=1.*", "!=1.*"),
        ("<=1.0", "<=1.0"),
        (">1.0", ">1.0"),
        ("!=1.0,!=2.0", "!=1.0,!=2.0"),
        (">=1,!=1.5,<2", ">=1,<2,!=1.5"),
        ("~=1.4.5", ">=1.4.5,<1.5"),
        ("", ""),
    ],
)
def test_describe_range(spec: str, text: str) -> None:
    assert describe_range(spec_range(spec)) == text


def test_describe_unions_and_complements() -> None:
    assert describe_range(spec_range("<1.0") | spec_range(">2.0")) == "<1.0 or >2.0"
    assert describe_range(~spec_range(">=1,<2")) == "<1 or >=2"
    assert describe_range(VersionRange.singleton(Version("1.0+abc"), prereleases=True)) == "==1.0+abc"
    assert describe_range(VersionRange.empty(prereleases=True)) == " (no version)"
    assert describe_range(spec_range(">=1") - VersionRange.singleton(Version("2.0"), prereleases=True)) == (
        ">=1,!=2.0"
    )
    assert str(neg(">=2")) == "not a>=2"
    assert str(Term(PackageId.dist("B_c", "X"), spec_range("<3"))) == "b-c[x]<3"


def test_requirement_dependencies_split_extras_and_evaluate_markers() -> None:
    requirements = [
        Requirement("Web[TLS]>=1"),
        Requirement("tls-lib; extra == 'tls'"),
        Requirement("winonly; sys_platform == 'win32'"),
    ]
    env = marker_environment("3.12")
    base = requirement_dependencies(requirements, env)
    assert [str(d) for d in base] == ["web>=1", "web[tls]>=1"]
    # An extra's own list holds only what the extra turns on.
    assert [str(d) for d in requirement_dependencies(requirements, env, extra="tls")] == ["tls-lib"]
    assert Dependency(A, spec_range(">=1")).range == spec_range(">=1")
    assert Dependency(A, SpecifierSet("==2.0")).exact_version == Version("2.0")
    assert Dependency(A, SpecifierSet("==2.*")).exact_version is None
