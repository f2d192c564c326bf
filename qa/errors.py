"""One exception family. The CLI turns any QAError into a one-line message and a non-zero exit."""


class QAError(Exception):
    """Base class: the message is meant for the user, on one line."""

    exit_code = 1


class CorpusError(QAError):
    """The corpus folder is missing, empty, or has nothing indexable."""


class IndexMissingError(QAError):
    """No built index where one was expected."""


class IndexMismatchError(QAError):
    """The index was built with another model, dimension or format version."""


class IndexCorruptError(QAError):
    """The index files are unreadable or inconsistent with the manifest."""


class BuildLockedError(QAError):
    """Another build holds the lock."""


class ModelLoadError(QAError):
    """The embedder or local LLM could not be loaded from a local path."""


class InvalidQuestionError(QAError):
    """Empty, whitespace-only or over-long question."""

    exit_code = 2


class LLMError(QAError):
    """The optional local model or HTTP endpoint failed or is not configured."""


class SettingsError(QAError):
    """A setting from the environment, a flag or Python has the wrong type or is out of range."""

    exit_code = 2


class AuthError(QAError):
    """The web chat's login is required but missing, or its credentials file is unusable."""


class IndexWriteError(QAError):
    """A new index generation could not be written (disk full, read-only, ...); the old one still serves."""
