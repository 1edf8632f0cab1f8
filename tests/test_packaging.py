"""The wheel installs one import name, `cyclogram`, with engine/, notifiers/ and flows/ inside it."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest
from helpers import ROOT

pytestmark = pytest.mark.xdist_group("packaging")


def _site_packages(env_dir: Path) -> Path:
    found = list(env_dir.glob("lib/python*/site-packages"))
    assert len(found) == 1, found
    return found[0]


def test_pip_install_puts_only_cyclogram_into_site_packages(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("cyclogram-*.whl")
    target = tmp_path / "clean"
    venv.EnvBuilder(with_pip=True).create(target)
    site = _site_packages(target)
    before = {p.name for p in site.iterdir()}
    python = target / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True, capture_output=True)
    added = {p.name for p in site.iterdir()} - before
    assert {name for name in added if not name.endswith(".dist-info")} == {"cyclogram"}
    for name in ("engine", "notifiers", "flows"):
        assert not (site / name).exists()
        assert (site / "cyclogram" / name / "__init__.py").is_file()
    # data files travel with their packages
    assert (site / "cyclogram" / "notifiers" / "templates" / "ru" / "reminder.txt.j2").is_file()
    assert (site / "cyclogram" / "store" / "migrations" / "env.py").is_file()
    assert (site / "cyclogram" / "store" / "migrations" / "versions" / "0001_initial.py").is_file()
    # the pure engine imports without the project folder on the path (its only dependencies are missing
    # here, so look the modules up without executing them)
    probe = "import importlib.util as u; import sys; sys.exit(0 if u.find_spec('cyclogram.engine.plan') else 1)"
    subprocess.run([str(python), "-c", probe], check=True, cwd=tmp_path)
