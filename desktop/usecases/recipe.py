"""The spec for a plan and its install recipe: plan + name/prefix + extras + mirrors + sources -> EnvSpec ->
shell commands or environment.yml. `torchdesk recommend`, `torchdesk export` (--shell or not), `torchdesk create`
and the app's Create, Export and Copy commands all come through here, so they print the same lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from ..envspec import (
    EnvSpec,
    shell_commands,
    spec_from_plan,
    spec_has_credentials,
    with_sources,
    without_credentials,
    write_environment_yml,
)
from ..mirrors import MirrorChoice
from ..model import Plan
from .planning import default_env_name

CREDENTIALS_LEFT_OUT = ("the user name and password (or token) in the index URL were left out of the export; "
                        "pip will ask for them, or read them from ~/.netrc or a keyring")


def spec_for_plan(plan: Plan, *, name: str | None = None, prefix: str | None = None, extras: Iterable[str] = (),
                  conda_extras: Iterable[str] = (), mirrors: MirrorChoice | None = None,
                  channels: Sequence[str] | None = None, index_url: str | None = None,
                  extras_index_url: str | None = None) -> EnvSpec:
    """The EnvSpec that installs `plan`: named `default_env_name(plan)` unless a name or a prefix is given."""
    if name is None and prefix is None:
        name = default_env_name(plan)
    spec = spec_from_plan(plan, name=name, prefix=prefix, extras=extras, conda_extras=conda_extras, mirrors=mirrors)
    if channels or index_url or extras_index_url:
        spec = with_sources(spec, channels=channels or None, index_url=index_url, extras_index_url=extras_index_url)
    return spec


@dataclass(frozen=True)
class Recipe:
    """A spec made fit to share (no passwords or tokens in any URL) and its two written forms."""

    spec: EnvSpec
    credentials_left_out: bool

    def shell_lines(self) -> list[str]:
        """The POSIX shell commands that build the env (what `export --shell` and Copy commands give)."""
        return shell_commands(self.spec)

    def shell_text(self) -> str:
        """The shell commands, one a line, ending in a newline."""
        return "\n".join(self.shell_lines()) + "\n"

    def environment_yml(self) -> str:
        """environment.yml text for `conda env create -f`."""
        return write_environment_yml(self.spec)


def install_recipe(spec: EnvSpec) -> Recipe:
    """The recipe for `spec` as it may be shared: credentials in URLs are left out (pip asks, or reads ~/.netrc)."""
    if spec_has_credentials(spec):
        return Recipe(without_credentials(spec), True)
    return Recipe(spec, False)
