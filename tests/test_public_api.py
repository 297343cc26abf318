"""The public names of the ``qa`` package stay what they are, whatever was imported before.

A lazily exported function that shares its name with a submodule gets shadowed by that module
once the submodule is imported (Python binds submodules on their package), so ``qa.answer(...)``
worked once and then raised "'module' object is not callable". Checked in fresh interpreters,
because the pytest process has imported everything already.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import importlib, pkgutil, types
import qa
{before}
first = {{name: getattr(qa, name) for name in qa.__all__}}
for info in pkgutil.iter_modules(qa.__path__):
    if not info.name.startswith("__"):  # __main__ runs the command line
        importlib.import_module("qa." + info.name)
for name in qa.__all__:
    value = getattr(qa, name)
    assert not isinstance(value, types.ModuleType), f"qa.{{name}} is a module"
    assert value is first[name], f"qa.{{name}} changed after importing the submodules"
assert callable(qa.answer) and callable(qa.stream_answer) and callable(qa.search)
assert qa.answer.__module__ == qa.stream_answer.__module__
print("ok")
"""


@pytest.mark.parametrize(
    "before",
    ["", "import qa.answering, qa.retrieve, qa.models", "from qa.answering import stream_answer"],
    ids=["fresh", "submodules-first", "from-import-first"],
)
def test_public_names_are_the_functions_and_classes_whatever_was_imported(before: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK.format(before=before)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]
    assert result.stdout.strip() == "ok"
