"""Reports: the self-contained HTML report and the renderers of ``dvclean check``.

* :func:`build_report` / :func:`build_report_from_files` gather a :class:`ReportData`
  (plain data: metadata, checks, per-class counts, the most suspicious rows, value
  arrays, a 2-D PCA projection, the augmentation evaluation when there is one);
* :func:`render_html` turns it into one HTML file with inline CSS and charts
  embedded once as base64 PNG (matplotlib, no network references; jinja2 with
  autoescape on, so values from the data are shown as text);
* :func:`write_report` writes it atomically.

:mod:`dvclean.report.formats` renders check outcomes as text, Markdown, GitHub
workflow commands and JUnit XML. matplotlib and jinja2 are imported only when
an HTML report is rendered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:  # at run time these load on first use (``__getattr__`` below): ``report.formats`` alone stays light
    from ._build import ReportData, build_report, build_report_from_files
    from ._render import render_html, write_report

__all__ = ["ReportData", "build_report", "build_report_from_files", "render_html", "write_report"]

_LAZY = {"ReportData": "_build", "build_report": "_build", "build_report_from_files": "_build",
         "render_html": "_render", "write_report": "_render"}


__getattr__, __dir__ = lazy_attributes(__name__, globals(), _LAZY)
