"""The recogniser of common build failures, on sample outputs of real compilers and tools."""

from __future__ import annotations

import pytest

from bale.dist.build_errors import diagnose, output_tail, without_tracebacks


@pytest.mark.parametrize(
    ("output", "cause"),
    [
        (
            "building 'x' extension\ngcc -pthread -c x.c -o x.o\n"
            "error: [Errno 2] No such file or directory: 'gcc'\n",
            "the C compiler 'gcc' was not found",
        ),
        ("sh: 1: gcc: not found\n", "the C compiler 'gcc' was not found"),
        ("/bin/sh: gcc: command not found\n", "the C compiler 'gcc' was not found"),
        (
            "error: command 'x86_64-linux-gnu-gcc' failed: No such file or directory\n",
            "the C compiler 'x86_64-linux-gnu-gcc' was not found",
        ),
        ("unable to execute 'gcc': No such file or directory\n", "the C compiler 'gcc' was not found"),
        (
            "/opt/cc-wrapper -O2 -c a.c -o a.o\n"
            "error: [Errno 2] No such file or directory: '/opt/cc-wrapper'\n",
            "the C compiler '/opt/cc-wrapper' was not found",
        ),
        ("error: Microsoft Visual C++ 14.0 or greater is required.\n", "no C/C++ compiler was found"),
        (
            "src/x.c:1:10: fatal error: Python.h: No such file or directory\n    1 | #include <Python.h>\n"
            "compilation terminated.\nerror: command '/usr/bin/gcc' failed with exit code 1\n",
            "the C compiler could not find Python.h",
        ),
        ("x.c:1:10: fatal error: 'Python.h' file not found\n", "the C compiler could not find Python.h"),
        (
            "Package libffi was not found in the pkg-config search path.\n"
            "Perhaps you should add the directory containing `libffi.pc'\n",
            "pkg-config could not find the system library 'libffi'",
        ),
        (
            "/usr/bin/ld: cannot find -lxml2: No such file or directory\n"
            "collect2: error: ld returned 1 exit status\n",
            "the linker could not find the library 'libxml2'",
        ),
        (
            "x.c:2:10: fatal error: openssl/ssl.h: No such file or directory\n",
            "the C header 'openssl/ssl.h' was not found",
        ),
        ("error: can't find Rust compiler\n", "the package needs a Rust compiler"),
    ],
)
def test_known_causes_are_recognised(output: str, cause: str) -> None:
    found = diagnose(output, python_version="3.12")
    assert found is not None
    assert found.cause.startswith(cause)


def test_python_h_hint_names_the_headers_package() -> None:
    found = diagnose("fatal error: Python.h: No such file or directory", python_version="3.12")
    assert found is not None
    assert "python3.12-dev" in found.hint and "python3-devel" in found.hint


def test_a_compile_error_is_not_mistaken_for_a_missing_compiler() -> None:
    output = (
        "gcc -c x.c -o x.o\nx.c:3:1: error: expected ';' before '}' token\n"
        "error: command '/usr/bin/gcc' failed with exit code 1\n"
    )
    assert diagnose(output) is None


def test_an_unrelated_missing_file_is_not_a_missing_compiler() -> None:
    assert diagnose("error: [Errno 2] No such file or directory: 'README.rst'\n") is None


def test_tracebacks_shrink_to_their_message() -> None:
    lines = [
        "running egg_info",
        "Traceback (most recent call last):",
        '  File "/x/_in_process.py", line 389, in <module>',
        "    main()",
        "    ^^^^^^",
        '  File "setup.py", line 3, in <module>',
        "    raise RuntimeError('boom')",
        "RuntimeError: boom",
        "",
        "The above exception was the direct cause of the following exception:",
        "",
        "Traceback (most recent call last):",
        '  File "y.py", line 1, in <module>',
        "SystemExit: 1",
        "after",
    ]
    kept = [line for line in without_tracebacks(lines) if line]
    assert kept == ["running egg_info", "RuntimeError: boom", "SystemExit: 1", "after"]


def test_output_tail_keeps_the_last_non_blank_lines() -> None:
    output = "\n".join(f"line {i}" for i in range(30)) + "\n\n\n"
    assert output_tail(output, 3) == ["line 27", "line 28", "line 29"]
