"""GitHub code scanning's documented ingestion rules for SARIF, as a checker tests run on our output.

Source: GitHub Docs, "SARIF support for code scanning" (docs.github.com/en/code-security/code-scanning/
integrating-with-code-scanning/sarif-support-for-code-scanning, the github/docs repository's
content/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning.md) and its limits
table ("About code scanning limits on SARIF results", troubleshooting-sarif-uploads/results-exceed-limit):

- the upload is rejected above: 20 runs per file, 25,000 results per run, 25,000 rules per run, 100 tool extensions
  per run, 1,000 locations per result, 20 tags per rule, 10 MB gzip-compressed;
- "required" properties need an explicit, non-empty value: ``$schema``, ``version`` (only ``2.1.0``), ``runs``,
  ``tool.driver.name``, ``tool.driver.rules``, ``rules[].id``, ``shortDescription.text``, ``fullDescription.text``
  (each at most 1,024 characters), ``help.text``, ``results``, ``message.text``, ``locations`` (at most 10; at least
  one, with a ``physicalLocation``), ``partialFingerprints`` (GitHub uses only ``primaryLocationLineHash``),
  ``artifactLocation.uri`` and ``region`` startLine/startColumn/endLine/endColumn;
- rule ``name`` at most 255 characters; ``defaultConfiguration.level`` one of note, warning, error;
  ``properties.precision`` one of very-high, high, medium, low; ``properties.security-severity`` a string with a
  number in (0.0, 10.0];
- a relative ``artifactLocation.uri`` is a path from the repository root; an absolute one must use one scheme;
- ``runAutomationDetails.id`` is ``category/run-id``: the category is everything up to the last ``/``.

URIs must also be RFC 3986 URI references (SARIF §3.10.3): checked with the RFC's own grammar for a relative path.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from typing import Any

MAX_RUNS = 20
MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_EXTENSIONS = 100
MAX_LOCATIONS = 1_000
MAX_RESULT_LOCATIONS = 10
MAX_TAGS = 20
MAX_DESCRIPTION = 1_024
MAX_RULE_NAME = 255
MAX_GZIP_BYTES = 10 * 1024 * 1024
LEVELS = {"note", "warning", "error"}
PRECISIONS = {"very-high", "high", "medium", "low"}

# RFC 3986 §3.3, a relative-path reference: segments of unreserved, pct-encoded, sub-delims, ":" and "@"
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
_PCHAR_NO_COLON = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=@]|%[0-9A-Fa-f]{2})"
RELATIVE_PATH = re.compile(rf"{_PCHAR_NO_COLON}+(?:/{_PCHAR}*)*")
"""The first segment of a relative path has no ``:`` (it would read as a scheme)."""


def _text(node: Any, where: str, limit: int | None = None) -> Iterator[str]:
    value = node.get("text") if isinstance(node, dict) else None
    if not isinstance(value, str) or not value:
        yield f"{where}.text is required and must not be empty"
    elif limit is not None and len(value) > limit:
        yield f"{where}.text is {len(value)} characters (limit {limit})"


def _rule(rule: dict[str, Any], where: str) -> Iterator[str]:
    if not rule.get("id"):
        yield f"{where}.id is required"
    if len(rule.get("name", "")) > MAX_RULE_NAME:
        yield f"{where}.name is longer than {MAX_RULE_NAME}"
    yield from _text(rule.get("shortDescription"), f"{where}.shortDescription", MAX_DESCRIPTION)
    yield from _text(rule.get("fullDescription"), f"{where}.fullDescription", MAX_DESCRIPTION)
    yield from _text(rule.get("help"), f"{where}.help")
    level = rule.get("defaultConfiguration", {}).get("level", "warning")
    if level not in LEVELS:
        yield f"{where}.defaultConfiguration.level {level!r} is not one of {sorted(LEVELS)}"
    props = rule.get("properties", {})
    if len(props.get("tags", [])) > MAX_TAGS:
        yield f"{where} has more than {MAX_TAGS} tags"
    if "precision" in props and props["precision"] not in PRECISIONS:
        yield f"{where}.properties.precision {props['precision']!r} is not valid"
    if "security-severity" in props:
        score = props["security-severity"]
        if not isinstance(score, str) or not 0.0 < float(score) <= 10.0:
            yield f"{where}.properties.security-severity {score!r} is not a string in (0.0, 10.0]"


def _uri(uri: Any, where: str) -> Iterator[str]:
    if not isinstance(uri, str) or not uri:
        yield f"{where}.artifactLocation.uri is required"
        return
    if "://" in uri or uri.startswith("/"):
        yield f"{where}.artifactLocation.uri {uri!r} is not relative to the repository root"
    elif not RELATIVE_PATH.fullmatch(uri):
        yield f"{where}.artifactLocation.uri {uri!r} is not an RFC 3986 relative reference (percent-encode it)"
    elif any(segment in (".", "..") for segment in uri.split("/")):
        yield f"{where}.artifactLocation.uri {uri!r} has dot segments"


def _location(location: dict[str, Any], where: str) -> Iterator[str]:
    physical = location.get("physicalLocation")
    if not physical:
        yield f"{where}.physicalLocation is required"
        return
    yield from _uri(physical.get("artifactLocation", {}).get("uri"), f"{where}.physicalLocation")
    region = physical.get("region", {})
    for key in ("startLine", "startColumn", "endLine", "endColumn"):
        if not isinstance(region.get(key), int) or region[key] < 1:
            yield f"{where}.physicalLocation.region.{key} is required (a positive integer)"


def _result(result: dict[str, Any], where: str, rule_count: int) -> Iterator[str]:
    yield from _text(result.get("message"), f"{where}.message")
    locations = result.get("locations") or []
    if not locations:
        yield f"{where}.locations needs at least one location"
    if len(locations) > min(MAX_LOCATIONS, MAX_RESULT_LOCATIONS):
        yield f"{where} has {len(locations)} locations"
    for j, location in enumerate(locations):
        yield from _location(location, f"{where}.locations[{j}]")
    if not result.get("partialFingerprints", {}).get("primaryLocationLineHash"):
        yield f"{where}.partialFingerprints.primaryLocationLineHash is missing (the only one GitHub uses)"
    if "ruleIndex" in result and not 0 <= result["ruleIndex"] < rule_count:
        yield f"{where}.ruleIndex {result['ruleIndex']} is out of range"
    if "level" in result and result["level"] not in LEVELS | {"none"}:
        yield f"{where}.level {result['level']!r} is not valid"


def _run(run: dict[str, Any], where: str) -> Iterator[str]:
    driver = run.get("tool", {}).get("driver", {})
    if not driver.get("name"):
        yield f"{where}.tool.driver.name is required"
    rules = driver.get("rules")
    if not isinstance(rules, list):
        yield f"{where}.tool.driver.rules is required"
        rules = []
    if len(rules) > MAX_RULES:
        yield f"{where} has {len(rules)} rules (limit {MAX_RULES})"
    if len(run.get("tool", {}).get("extensions", [])) > MAX_EXTENSIONS:
        yield f"{where} has more than {MAX_EXTENSIONS} tool extensions"
    for i, rule in enumerate(rules):
        yield from _rule(rule, f"{where}.tool.driver.rules[{i}]")
    results = run.get("results")
    if not isinstance(results, list):
        yield f"{where}.results is required"
        results = []
    if len(results) > MAX_RESULTS:
        yield f"{where} has {len(results)} results (limit {MAX_RESULTS})"
    for i, result in enumerate(results):
        yield from _result(result, f"{where}.results[{i}]", len(rules))


def violations(log: dict[str, Any]) -> list[str]:
    """Every documented ingestion rule ``log`` breaks (empty: GitHub accepts and displays it)."""
    problems: list[str] = []
    if not log.get("$schema"):
        problems.append("$schema is required")
    if log.get("version") != "2.1.0":
        problems.append("version must be 2.1.0")
    runs = log.get("runs") or []
    if not runs:
        problems.append("runs needs at least one run")
    if len(runs) > MAX_RUNS:
        problems.append(f"{len(runs)} runs (limit {MAX_RUNS})")
    for i, run in enumerate(runs):
        problems += _run(run, f"runs[{i}]")
    if len(gzip.compress(json.dumps(log).encode())) > MAX_GZIP_BYTES:
        problems.append("the gzip-compressed file is larger than 10 MB")
    return problems


def category(run: dict[str, Any]) -> str | None:
    """The analysis category GitHub reads from ``automationDetails.id`` (everything up to the last ``/``)."""
    run_id = run.get("automationDetails", {}).get("id")
    if not run_id or "/" not in run_id:
        return None
    return str(run_id.rpartition("/")[0])
