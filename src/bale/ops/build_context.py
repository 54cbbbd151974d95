"""The real BuildContext: build requirements resolved by bale's resolver and linked by its installer."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bale.dist.build import Builder, current_build_chain
from bale.errors import BaleError

if TYPE_CHECKING:
    from packaging.version import Version

    from bale.context import Context
    from bale.dist.build_lock import BuildPins, BuildRecorder
    from bale.model.names import NormalizedName
    from bale.model.requirement import RequirementSpec
    from bale.ops.settings import IndexSettings
    from bale.python.probe import Interpreter
    from bale.python.venv import PythonEnvironment

WithBuilder = Callable[["Context", Builder], "Context"]
"""Returns a context like the given one whose ``builder`` is the given builder (for nested builds)."""


def attach_builder(ctx: Context, builder: Builder) -> Context:
    """A shallow copy of ``ctx`` sharing its cache and HTTP client, with ``builder`` as its ``builder``.

    Nested builds (a build requirement that is itself only an sdist) must carry the build chain so a
    cycle is reported instead of waited on; resolve and prepare find the builder on the context and
    its database (which also drops the run's hash policy: build requirements are not hash-checked).
    Build requirements are built with the defaults (isolated, no config settings): the run's
    ``--no-build-isolation`` and ``--config-settings`` are for its own packages.
    """
    _ = ctx.cache, ctx.http  # created once here so the copy shares them
    child = copy.copy(ctx)
    child.__dict__["builder"] = builder
    child.__dict__["database"] = ctx.database.with_builder(builder)
    child.__dict__["_builds"] = None
    child.__dict__["_temp_cache"] = None  # the parent context owns and removes it
    return child


class IndexBuildContext:
    """Installs build requirements with ``ops.resolve``, the database and ``install.wheel``; no pip.

    ``index`` says where build requirements come from; ``interpreter`` is the base interpreter of the
    build environments (normally the target environment's); ``build_constraints`` narrow the
    versions of build requirements, nested builds' included. ``recorder`` collects what each build
    environment resolved to (while locking); ``pins`` are the locked build dependencies of each sdist
    (only acceptable versions when strict, else preferred). Cost per ``install``: one resolution
    (the index pages are in the HTTP cache after the first build) and linking the wheels from the
    cache (setuptools' 900 files: ~40 ms hardlinked).
    """

    def __init__(
        self,
        ctx: Context,
        index: IndexSettings,
        interpreter: Interpreter,
        *,
        with_builder: WithBuilder = attach_builder,
        build_constraints: Sequence[RequirementSpec] = (),
        recorder: BuildRecorder | None = None,
        pins: BuildPins | None = None,
    ) -> None:
        self._ctx = ctx
        self.index = index
        self._interpreter = interpreter
        self._with_builder = with_builder
        self.build_constraints = tuple(build_constraints)
        self.recorder = recorder
        self.pins = pins

    @property
    def interpreter(self) -> Interpreter:
        return self._interpreter

    def install(self, requirements: list[str], env: PythonEnvironment) -> None:
        from bale.fs.link import Linker, link_mode_from_env
        from bale.install.installed import scan_site_packages
        from bale.install.uninstall import uninstall
        from bale.install.wheel import install_tree
        from bale.model.artifact import Artifact
        from bale.ops.request import ResolveRequest
        from bale.ops.resolve import resolve

        chain = current_build_chain()
        specs = [_spec(text) for text in requirements]
        nested = Builder(self._ctx.cache, self, reporter=self._ctx.reporter, chain=chain)
        try:
            ctx = self._with_builder(self._ctx, nested)
            installed = scan_site_packages(env.site_packages())
            label = f"the build requirements of {chain[-1].label}" if chain else "the build requirements"
            constraints = self.build_constraints
            preferences = {name: dist.version for name, dist in installed.items()}
            locked = self.pins.for_link(chain[-1]) if self.pins is not None and chain else None
            if locked is not None and self.pins is not None:
                if self.pins.strict:
                    constraints = (*constraints, *self.pins.constraints(locked))
                else:
                    preferences = {**self.pins.preferences(locked), **preferences}
            request = ResolveRequest(
                requirements=specs,
                target=env.interpreter.target(),
                index=self.index,
                constraints=constraints,
                preferences=preferences,
                root_label=label,
            )
            try:
                resolved = resolve(ctx, request)
            except BaleError as err:
                if locked is None or self.pins is None or not self.pins.strict:
                    raise
                raise self.pins.failure(locked, err, self._versions_of) from err
            if self.recorder is not None and chain:
                self.recorder.record(chain[-1], resolved.resolution.versions)
            artifacts = []
            for name, version in sorted(resolved.resolution.versions.items()):
                current = installed.get(name)
                if current is not None and current.version == version:
                    continue
                direct = name in resolved.direct
                artifacts.append(
                    resolved.direct_artifacts.get(name)
                    or Artifact(name, version, resolved.file_for(name), direct=direct, requested=True)
                )
            if not artifacts:
                return
            prepared = ctx.database.prepare_all(artifacts)
            scheme = env.scheme()
            linker = Linker(link_mode_from_env(), on_fallback=self._ctx.reporter.warn)
            for item in prepared:
                artifact = item.artifact
                current = installed.get(artifact.name)
                if current is not None:
                    uninstall(current, scheme)
                install_tree(
                    item.tree,
                    scheme,
                    name=artifact.name,
                    version=str(artifact.version),
                    requested=True,
                    direct_url=artifact.direct_url_json(item.sha256),
                    linker=linker,
                )
        finally:
            nested.close()

    def _versions_of(self, name: NormalizedName) -> set[Version]:
        """The versions of ``name`` the build indexes offer (a page the failed resolution fetched)."""
        return {file.version for file in self._ctx.index_client(self.index).project_files(name)}


def _spec(text: str) -> RequirementSpec:
    from packaging.requirements import InvalidRequirement, Requirement

    from bale.model.names import normalize
    from bale.model.requirement import Origin, RequirementSpec

    try:
        requirement = Requirement(text)
    except InvalidRequirement as err:
        from bale.model.requirement_errors import caret_lines, explain

        why = explain(err, text)
        raise BaleError(
            f"Invalid build requirement {text!r}: {why.message}",
            context=caret_lines(text, why.start, why.end),
        ) from err
    return RequirementSpec(
        name=normalize(requirement.name),
        requirement=requirement,
        origin=Origin("build requirements"),
        url=requirement.url,
    )
