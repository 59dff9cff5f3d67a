"""fxir's exceptions. Each carries fxir's message (the file, node, op and, for a pass
that failed, the user's source line) and `diagnostics`: a list of dicts (message, file,
line, code), one per located error, empty when fxir knows no location."""


class Error(Exception):
    """Any error fxir reports."""

    diagnostics: list = []


class ReadError(Error):
    """The program could not be read: a corrupt or unsupported archive, an unknown op,
    a weight fxir cannot bind."""


class CompileError(Error):
    """A pass or the backend rejected the program (an unsupported construct, a bad
    pipeline, a backend option, a kernel that failed to compile)."""


class InputError(Error, ValueError):
    """The call's inputs do not match the program: count, dtype, shape, a symbol out of
    its range, an input that requires grad."""


class RunError(Error, RuntimeError):
    """The program failed while running (an index out of range, a runtime assert)."""
