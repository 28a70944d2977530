"""Only what pyproject.toml cannot say: the wheel carries config/ and seeds/ as bot/defaults/.

An installed claimbot (the Docker image, a plain `pip install`) then finds a working default
config and the seed documents without a source checkout; the repository keeps one copy of each.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithDefaults(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "bot" / "defaults"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(ROOT / "config", target / "config", ignore=shutil.ignore_patterns("*.local.toml"))
        (target / "seeds").mkdir(parents=True)
        for seed in sorted((ROOT / "seeds").glob("*.txt")):
            shutil.copy2(seed, target / "seeds" / seed.name)


setup(cmdclass={"build_py": BuildWithDefaults})
