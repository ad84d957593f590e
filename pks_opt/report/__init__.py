"""Reports: tables (pandas → CSV/XLSX), the JSON envelope, PNG charts."""

from pks_opt.report.output import write_result

__all__ = ["write_result"]
