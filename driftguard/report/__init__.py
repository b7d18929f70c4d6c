"""Formatters: turn reports (models) into text (Rich), JSON and Markdown. No I/O beyond the given console."""

from driftguard.report.diff import diff_json, diff_markdown, diff_text
from driftguard.report.evidence import evidence_json, evidence_markdown, evidence_text
from driftguard.report.history import log_json, log_markdown, log_text
from driftguard.report.ignored import ignored_json, ignored_markdown, ignored_text

__all__ = [
    "diff_json",
    "diff_markdown",
    "diff_text",
    "evidence_json",
    "evidence_markdown",
    "evidence_text",
    "ignored_json",
    "ignored_markdown",
    "ignored_text",
    "log_json",
    "log_markdown",
    "log_text",
]
