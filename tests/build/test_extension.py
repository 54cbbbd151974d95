"""C extensions built with the machine's compiler; the messages when the compiler or a header is missing."""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

import pytest

from bale.errors import BaleError
from tests.build.conftest import BuildBed
from tests.build.helpers import setuptools_pyproject, tar_sdist

needs_compiler = pytest.mark.skipif(
    (shutil.which("gcc") is None and shutil.which("cc") is None)
    or not (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file(),
    reason="no C compiler or no Python development headers on this machine",
)

C_SOURCE = """
    #include <Python.h>
    {extra_include}
    static PyObject *add(PyObject *self, PyObject *args) {{
        long a, b;
        if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
        return PyLong_FromLong(a + b);
    }}
    static PyMethodDef methods[] = {{
        {{"add", add, METH_VARARGS, "Add two integers."}}, {{NULL, NULL, 0, NULL}}
    }};
    static struct PyModuleDef module = {{PyModuleDef_HEAD_INIT, "_speed", NULL, -1, methods}};
    PyMODINIT_FUNC PyInit__speed(void) {{ return PyModule_Create(&module); }}
"""


def extension_sdist(dest: Path, name: str, *, extra_include: str = "") -> Path:
    files = {
        "pyproject.toml": setuptools_pyproject(name, "1.0"),
        "setup.py": f"""
            from setuptools import Extension, setup
            setup(packages=["{name}"], ext_modules=[Extension("{name}._speed", ["{name}/speed.c"])])
        """,
        f"{name}/__init__.py": "from ._speed import add\n",
        f"{name}/speed.c": C_SOURCE.format(extra_include=extra_include),
    }
    return tar_sdist(files, dest, f"{name}-1.0")


@needs_compiler
def test_a_c_extension_is_compiled_and_importable(bed: BuildBed) -> None:
    sdist = extension_sdist(bed.root / "dist", "cspeed")

    wheel = bed.builder().build_wheel(sdist)

    assert "-none-any" not in wheel.name  # a platform wheel
    env = bed.install(wheel)
    assert bed.run(env, "import cspeed; print(cspeed.add(2, 40))") == "42"


def test_a_missing_compiler_is_recognised(bed: BuildBed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC", "/nonexistent/cc")
    sdist = extension_sdist(bed.root / "dist", "nocc")

    with pytest.raises(BaleError) as caught:
        bed.builder().build_wheel(sdist)

    error = caught.value
    assert error.message == "Failed to build nocc-1.0.tar.gz"
    assert (
        "cause: the C compiler '/nonexistent/cc' was not found: the package has extension modules to compile"
        in (error.context)
    )
    assert error.hint is not None and error.hint.startswith("install a C compiler")
    assert bed.leftovers() == []
    assert not any(bed.cache.bucket_path("builds").rglob("*.whl"))


@needs_compiler
def test_a_missing_header_is_recognised(bed: BuildBed) -> None:
    sdist = extension_sdist(bed.root / "dist", "nohdr", extra_include="#include <bale_missing_header.h>")

    with pytest.raises(BaleError) as caught:
        bed.builder().build_wheel(sdist)

    error = caught.value
    assert "cause: the C header 'bale_missing_header.h' was not found" in error.context
    assert error.hint is not None and "bale_missing_header.h" in error.hint
    assert bed.leftovers() == []
