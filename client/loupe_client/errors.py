"""Errors a user can act on, each with the exit code the CLI returns for it."""


class LoupeError(Exception):
    """Anything the command cannot do; the message says what to do about it."""

    exit_code = 1


class NotLoggedIn(LoupeError):
    exit_code = 3


class AuthError(LoupeError):
    """The server refused the credentials (401) or the caller's role (403)."""

    exit_code = 3


class NotFound(LoupeError):
    exit_code = 4


class IntegrityError(LoupeError):
    """Bytes that do not match their hash, or a pull that does not reproduce its lock file."""

    exit_code = 5


class NetworkError(LoupeError):
    """The connection failed or was cut: running the same command again resumes."""

    exit_code = 6
