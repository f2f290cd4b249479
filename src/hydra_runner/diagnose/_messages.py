"""What every rule's message is made of: the exception chain, a did-you-mean, values and paths as written."""

from __future__ import annotations

import difflib
import os
import re
from typing import Any, Optional, Sequence


def closest(word: str, options: Sequence[str]) -> Optional[str]:
    """The option ``word`` most likely meant: its initials (``lr``: ``learning_rate``), else the nearest spelling."""
    initials = [o for o in options if "_" in o and "".join(part[:1] for part in o.split("_")) == word]
    close = initials or difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return close[0] if close else None


def did_you_mean(word: str, options: Sequence[str]) -> str:
    close = closest(word, options)
    return f"did you mean '{close}'? " if close else ""


def chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return seen


def node_error(exc: BaseException) -> Optional[BaseException]:
    """OmegaConf's error in the chain, which names the node that failed (key, full_key, object_type)."""
    return next((e for e in chain(exc) if getattr(e, "full_key", None)), None)


# OmegaConf raises its message template ("Value '$VALUE' of type '$VALUE_TYPE' ...") first and,
# while handling it, the same message filled in: the template is left in the chain as context.
_UNFILLED = re.compile(r"\$(?:MSG|KEY|KEY_TYPE|FULL_KEY|VALUE|VALUE_TYPE|OBJECT_TYPE|REF_TYPE)\b")


def full_message(exc: BaseException) -> str:
    """The messages of the chain once each: Hydra repeats its cause's message inside its own."""
    parts: list[str] = []
    for e in chain(exc):
        text = str(e).strip()
        if text not in ("", "None") and not _UNFILLED.search(text) and not any(text in part for part in parts):
            parts.append(text)
    return "\n".join(parts)


def yaml_scalar(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return str(value)


def display_path(path: str) -> str:
    """``path`` relative to the working directory when it is under it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
