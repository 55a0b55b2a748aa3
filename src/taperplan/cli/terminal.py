"""What the command line prints is text, never terminal commands (issue 15 item 1).

Text from inputs (a plan file's ids, a symptom log's notes, a file name) can hold escape
sequences that set a terminal's title, clear its screen or move its cursor. Every line the
command line prints goes through :func:`echo`, which removes escape sequences and control
characters with :func:`for_terminal` (a line feed and a tab stay). The files taperplan
writes are not touched: they are data.
"""

from __future__ import annotations

import re

import click

#: Escape sequences (CSI; OSC up to its terminator on the same line; two-character ones),
#: then every other C0 control but the line feed and the tab, DEL, and the C1 controls. An
#: OSC without a terminator loses only its ``ESC ]``: the text after it is printed as text,
#: not swallowed with the rest of the output.
_UNSAFE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)"
    r"|\x1b[@-Z\\-_]"
    r"|[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]"
)


def for_terminal(text: str) -> str:
    """``text`` without escape sequences or control characters (line feeds and tabs stay)."""
    return _UNSAFE.sub("", text)


def echo(message: str = "", *, err: bool = False, nl: bool = True) -> None:
    """:func:`click.echo` of ``message`` made safe for a terminal by :func:`for_terminal`."""
    click.echo(for_terminal(message), err=err, nl=nl)
