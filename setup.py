"""Maps the checkout's templates/ and config/ folders into the package.

They stay where they are in the checkout; an installed mailbot (a wheel, an sdist
or an editable install) finds them as mailbot._templates and mailbot._campaigns
through importlib.resources. Everything else is declared in pyproject.toml.
"""

from setuptools import find_packages, setup

DATA_PACKAGES = {"mailbot._templates": "templates", "mailbot._campaigns": "config"}

setup(
    packages=find_packages(include=["mailbot", "mailbot.*"]) + list(DATA_PACKAGES),
    package_dir=DATA_PACKAGES,
    package_data={
        "mailbot._templates": ["*/*.toml", "*/*.j2"],
        "mailbot._campaigns": ["*.toml"],
        "mailbot.web": ["templates/*.j2", "static/*"],
    },
)
