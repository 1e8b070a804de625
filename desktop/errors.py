"""The one root of TorchDesk's errors, and how both faces (the CLI and the app) show one."""

from __future__ import annotations


class TorchDeskError(Exception):
    """An error for the user: `sentence` says what happened, `hint` what to do (empty when the sentence says it).

    Subclasses keep their own constructors; a `fix` attribute (JobFailed's) is their hint unless one is given."""

    default_hint = ""

    def __init__(self, *args: object, hint: str | None = None) -> None:
        super().__init__(*args)
        self._hint = hint

    @property
    def sentence(self) -> str:
        return str(self) or type(self).__name__

    @property
    def hint(self) -> str:
        given: object = getattr(self, "_hint", None)  # None also when a subclass skipped this __init__
        if isinstance(given, str):
            return given
        fix: object = getattr(self, "fix", None)
        return fix if isinstance(fix, str) and fix else self.default_hint


class UsageError(TorchDeskError):
    """Bad input from the user: printed as one line by the CLI, exit code 2."""


class JobFailed(TorchDeskError):
    """A stage of the create job failed: `stage` names it, `fix` says what to do."""

    def __init__(self, stage: str, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.stage, self.message, self.fix = stage, message, fix


def error_parts(exc: BaseException) -> tuple[str, str]:
    """(sentence, hint) for any exception: a TorchDeskError's own, else its text and no hint."""
    if isinstance(exc, TorchDeskError):
        return exc.sentence, exc.hint
    return str(exc) or type(exc).__name__, ""


def render_error(exc: BaseException) -> str:
    """'error: <sentence>' and, when there is a hint, '\\n  what to do: <hint>': the CLI's form of an error."""
    sentence, hint = error_parts(exc)
    return f"error: {sentence}" + (f"\n  what to do: {hint}" if hint else "")


def user_message(exc: BaseException) -> str:
    """The app's form of the same: the sentence, then 'What to do: <hint>' on its own line when there is one."""
    sentence, hint = error_parts(exc)
    return sentence + (f"\nWhat to do: {hint}" if hint else "")
