"""Errors and warnings that reach the user.

Every problem with an instance is raised as :class:`InputError`, whose message names the file,
the row (spreadsheet numbering: the header is row 1, the first data row is row 2) and the field.
The command line prints it on one line and exits with code 2.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: a file, a row or a field the user must fix.

    Parameters
    ----------
    message
        What is wrong, in the user's terms ("unit 'KIR2' is not defined").
    file
        The file (or ``workbook.xlsx[sheet]``) the problem is in.
    row
        Spreadsheet row number (header = 1, first data row = 2).
    field
        Column or manifest key.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        """Record what is wrong and where (any of file, row and field may be unknown)."""
        self.message = message
        self.file = file
        self.row = row
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        """Write the error as one line: ``<file> row <row>, field '<field>': <message>``."""
        where = self.file or ""
        if self.row is not None:
            where = f"{where} row {self.row}".strip()
        if self.field:
            where = f"{where}, field '{self.field}'" if where else f"field '{self.field}'"
        return f"{where}: {self.message}" if where else self.message

    def at(
        self, *, file: str | None = None, row: int | None = None, field: str | None = None
    ) -> InputError:
        """Return a copy with missing location parts filled in."""
        return InputError(
            self.message,
            file=self.file or file,
            row=self.row if self.row is not None else row,
            field=self.field or field,
        )


class InputWarning(UserWarning):
    """Legal but suspicious input (printed as ``warning: ...``, never fatal)."""


class OutputError(Exception):
    """An output location that cannot be written: printed as one line, exit code 2.

    The message reads ``cannot write to OUT: <reason>``; nothing partial is left behind.
    """

    def __init__(self, out: object, reason: str) -> None:
        """Record the output location ``out`` and why it cannot be written."""
        self.out = out
        self.reason = reason
        super().__init__(f"cannot write to {out}: {reason}")
