"""Plan -> EnvSpec -> environment.yml, and back; the same spec as copy/paste shell commands.

- `spec`: the EnvSpec model, its validation, spec_from_plan, retargeting and credentials;
- `yml_write`: EnvSpec -> environment.yml that stock `conda env create -f` rebuilds;
- `yml_load`, `yml_read`: the strict reader for an environment.yml from anywhere (hostile-input rules);
- `shell`: the spec as POSIX shell commands;
- `check`: will a spec run on a machine; an existing environment back to its environment.yml.
"""

from .check import SpecCheck, check_spec, describe_host, export_env_yml
from .shell import shell_commands
from .spec import (
    DEFAULT_CHANNELS,
    RESERVED_NAMES,
    TORCH_PACKAGES,
    EnvSpec,
    EnvSpecError,
    describe_sources,
    spec_from_plan,
    spec_has_credentials,
    validate_env_name,
    with_sources,
    with_target,
    without_credentials,
)
from .yml_load import MAX_YML_BYTES, MAX_YML_DEPTH
from .yml_read import read_environment_yml, read_environment_yml_file
from .yml_write import write_environment_yml

__all__ = [
    "DEFAULT_CHANNELS", "MAX_YML_BYTES", "MAX_YML_DEPTH", "RESERVED_NAMES", "TORCH_PACKAGES", "EnvSpec",
    "EnvSpecError", "SpecCheck", "check_spec", "describe_host", "describe_sources", "export_env_yml",
    "read_environment_yml", "read_environment_yml_file", "shell_commands", "spec_from_plan", "spec_has_credentials",
    "validate_env_name", "with_sources", "with_target", "without_credentials", "write_environment_yml",
]
