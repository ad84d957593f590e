"""`pks report`: one self-contained HTML report of result folders.

Jinja2 templates, message catalogues in Swedish and English, inline charts,
sortable/filterable tables with CSV download, print CSS for A4.
"""

from pks_opt.report.html.build import build_report, render
from pks_opt.report.html.collect import collect

__all__ = ["build_report", "collect", "render"]
