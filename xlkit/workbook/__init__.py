"""The register workbook: one builder for the plain .xlsx and the controlled .xlsm."""

from xlkit.workbook.builder import build, settings_rows

__all__ = ["build", "settings_rows"]
