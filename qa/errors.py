"""The exceptions the package raises on purpose.

Everything derives from :class:`QAError`, so callers can catch one type. The CLI
and the web chat translate these into friendly messages; nothing below them does.
"""

from __future__ import annotations


class QAError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(QAError):
    """A setting has a value we cannot use."""


class InputError(QAError):
    """The question (or another user input) is unusable: empty, too long, out of range."""


class SourceError(QAError):
    """The sources folder or one of its files cannot be read as a corpus."""


class IndexStoreError(QAError):
    """The vector index cannot be built, opened or queried."""


class BackendError(QAError):
    """The language-model backend failed: unreachable, unauthorised, timing out, misbehaving."""


class ModelFileError(BackendError):
    """The local model file is missing, truncated or does not match its expected hash."""
