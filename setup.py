"""Packages of the wheel: kbgen and intake, plus the repository's top-level templates/ and
migrations/ folders mapped in as package data (found at run time through importlib.resources).

Everything else about the project is in pyproject.toml.
"""

from setuptools import find_packages, setup

STATIC = ["*.html", "*.xml", "*.txt", "static/*"]

setup(
    packages=[
        *find_packages(include=["kbgen", "kbgen.*", "intake", "intake.*"]),
        "kbgen.templates",
        "intake.templates",
        "intake.migrations",
    ],
    package_dir={
        "kbgen.templates": "templates",
        "intake.templates": "templates",
        "intake.migrations": "migrations",
    },
    package_data={
        # The generator gets the site's templates; the service its own areas; both the shared.
        "kbgen.templates": [
            f"{area}/{pattern}" for area in ("site", "shared") for pattern in STATIC
        ],
        "intake.templates": [
            f"{area}/{pattern}"
            for area in ("web", "shared", "portal", "desk", "chat")
            for pattern in STATIC
        ],
        "intake.migrations": ["script.py.mako", "versions/*.py"],
        "kbgen": ["scaffold/**/*", "py.typed"],
        "intake": ["py.typed"],
    },
    include_package_data=False,
    exclude_package_data={"": ["__pycache__", "*.pyc"]},
)
