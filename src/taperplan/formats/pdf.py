"""A page as PDF, printed by Chromium where it is installed (no Python dependency).

:func:`html_to_pdf` prints a self-contained HTML page (the handout, the clinician
summary) on A4 or US Letter with headless Chromium: a private, throw-away profile,
nothing fetched from the network (the pages have no external resources), no
header or footer. Without Chromium it raises
:class:`~taperplan.errors.MissingProgramError`; the HTML page prints the same
from any browser.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from taperplan.errors import MissingProgramError, NotApplicableError

#: The paper sizes a PDF is printed on (CSS ``@page`` sizes).
PAPERS = {"a4": "A4", "letter": "letter"}

_PROGRAMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The Chromium program on the PATH, or None."""
    for name in _PROGRAMS:
        found = shutil.which(name)
        if found is not None:
            return found
    return None


def html_to_pdf(page: str, *, paper: str = "a4", timeout: float = 120) -> bytes:
    """``page`` (a complete HTML document) printed as PDF on ``paper`` (``a4`` or ``letter``).

    Raises:
        NotApplicableError: ``paper`` is neither ``a4`` nor ``letter``.
        MissingProgramError: Chromium is not installed, or it did not print the page.
    """
    size = PAPERS.get(paper.lower()) if isinstance(paper, str) else None
    if size is None:
        raise NotApplicableError(f"paper {paper!r}: use 'a4' or 'letter'")
    program = find_chromium()
    if program is None:
        raise MissingProgramError(
            "a PDF needs Chromium (chromium or chromium-browser on the PATH), which is not "
            "installed: install it (for example apt-get install chromium), or write the page "
            "as .html and print it from a browser"
        )
    sized = page.replace("</head>", f"<style>@page {{ size: {size}; }}</style>\n</head>", 1)
    with tempfile.TemporaryDirectory(prefix="taperplan-pdf-") as folder:
        source = Path(folder) / "page.html"
        target = Path(folder) / "page.pdf"
        source.write_text(sized, encoding="utf-8")
        command = [
            program,
            "--headless",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={target}",
            "--no-pdf-header-footer",
            source.as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to run as root otherwise
        try:
            subprocess.run(command, capture_output=True, check=True, timeout=timeout)  # noqa: S603 - our own arguments
        except (OSError, subprocess.SubprocessError) as error:
            raise MissingProgramError(f"Chromium could not print the PDF: {error}") from error
        data = target.read_bytes() if target.is_file() else b""
    if not data.startswith(b"%PDF-"):
        raise MissingProgramError("Chromium wrote no PDF; write the page as .html instead")
    return data
