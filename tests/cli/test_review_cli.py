"""The incident-review commands in-process: history, show, diff --each and the filters, --output (atomic),
--format jsonl, suppressions said in every report, and finding exemptions (issue 11 points 1-3, 6, 7)."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import jsonschema
import pytest

from driftguard.store import StateRepo
from tests.api.review_repo import build_review_repo, fragment, reconfigured, write
from tests.cli_runner import invoke
from tests.paths import SCHEMAS


@pytest.fixture
def state(tmp_path: Path) -> tuple[Path, list[str]]:
    path = tmp_path / "state"
    return path, build_review_repo(path)


def run(*args: str | Path, columns: int = 80) -> tuple[int, str, str]:
    result = invoke(*args, env={"COLUMNS": str(columns)})
    return result.exit_code, result.stdout, result.stderr


def test_history_text_names_people_at_80_columns_oldest_first(state: tuple[Path, list[str]]) -> None:
    path, _ = state
    code, out, _ = run("history", "vm", "web01-old", "--repo", path)
    assert code == 0, out
    assert out.splitlines()[0] == "history of vm web01-old ← web01 (vm-1) on vc.example: 6 changes"
    assert all(len(line) <= 80 for line in out.splitlines())
    assert "cpu.count: 2 → 4" in out and "by VSPHERE.LOCAL\\alice" in out
    assert out.index("cpu.count: 4 → 8") < out.index("cpu.count: 8 → 4")
    assert "name: web01 → web01-old" in out
    code, newest, _ = run("history", "vm", "vm-1", "--reverse", "--repo", path)
    assert newest.index("cpu.count: 8 → 4") < newest.index("cpu.count: 4 → 8")


def test_history_json_jsonl_markdown(state: tuple[Path, list[str]]) -> None:
    path, commits = state
    _, out, _ = run("history", "vm", "vm-1", "--path", "cpu.*", "--format", "json", "--repo", path)
    document = json.loads(out)
    assert document["schema"] == "driftguard.history/v1"
    assert [(e["item"]["old"], e["item"]["new"]) for e in document["entries"]] == [(2, 4), (4, 8), (8, 4)]
    assert [e["item"]["attribution"]["user"] for e in document["entries"]] == ["VSPHERE.LOCAL\\alice", "carol", "carol"]
    _, out, _ = run("history", "vm", "vm-1", "--format", "jsonl", "--repo", path)
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 6 and {line["schema"] for line in lines} == {"driftguard.history-entry/v1"}
    assert lines[0]["commit"] == commits[1]
    _, out, _ = run("history", "vm", "vm-1", "--format", "markdown", "--repo", path)
    assert "| when | field | old → new | who | evidence | commit |" in out and "`cpu.count`" in out


def test_show_text_and_json(state: tuple[Path, list[str]]) -> None:
    path, commits = state
    code, out, _ = run("show", "vm", "web01", "--at", "2026-11-25", "--repo", path)
    assert code == 0, out
    assert out.startswith(f"vm web01 (vm-1) on vc.example at {commits[1][:10]}")
    assert "count: 4" in out
    code, out, _ = run("show", "vm", "web01-old", "--format", "json", "--repo", path)
    document = json.loads(out)
    assert document["schema"] == "driftguard.object/v1" and document["object"]["cpu"]["count"] == 4
    code, out, _ = run("show", "vm", "web01", "--format", "markdown", "--repo", path)
    assert "```json" in out
    code, _, err = run("show", "vm", "nope", "--repo", path)
    assert code == 2 and err.count("\n") == 1 and "no vm named 'nope'" in err


def test_diff_each_shows_the_revert_and_by_keeps_one_user(state: tuple[Path, list[str]]) -> None:
    path, commits = state
    code, out, _ = run("diff", commits[2], commits[4], "--repo", path, "--format", "json")
    assert [i["path"] for i in json.loads(out)["items"] if i["id"] == "vm-1"] == ["cluster", "host"]  # net: no cpu
    code, out, _ = run("diff", commits[2], commits[4], "--each", "--repo", path, "--format", "json")
    reports = json.loads(out)
    cpu = [(i["old"], i["new"]) for r in reports for i in r["items"] if i["path"] == "cpu.count"]
    assert cpu == [(4, 8), (8, 4)]
    code, out, _ = run("diff", "--each", "--by", "CAROL", "--repo", path, "--format", "jsonl")
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines and {line["attribution"]["user"] for line in lines} == {"carol"}
    code, out, _ = run("diff", "--each", "--by", "alice", "--repo", path, "--format", "jsonl")
    assert {json.loads(line)["attribution"]["user"] for line in out.splitlines()} == {"VSPHERE.LOCAL\\alice"}
    code, out, _ = run("diff", "--each", "--by", "nobody", "--repo", path)
    assert code == 0 and "no drift in the range" in out
    code, out, _ = run("diff", "--each", "--exit-code", "--repo", path, "--format", "markdown")
    assert code == 1


def test_filters_on_diff_log_and_check(state: tuple[Path, list[str]]) -> None:
    path, commits = state
    base = ("diff", commits[0], commits[4], "--repo", path, "--format", "json")
    items = lambda *extra: json.loads(run(*base, *extra)[1])["items"]  # noqa: E731
    assert {i["id"] for i in items("--object", "db*")} == {"vm-2"}
    assert {i["id"] for i in items("--object", "vm-1")} == {"vm-1"}
    assert {i["path"] for i in items("--path", "cpu.*")} == {"cpu.count"}
    assert items("--kind", "host") == []
    assert {i["attribution"]["status"] for i in items("--status", "unattributed")} == {"unattributed"}
    assert {i["severity"] for i in items("--severity", "medium")} <= {"medium", "high", "critical"}
    code, _, err = run(*base, "--kind", "vmm")
    assert code == 2 and "--kind 'vmm'" in err
    code, out, _ = run("log", "--by", "carol", "--repo", path, "--format", "json")
    assert [e["commit"] for e in json.loads(out)["snapshots"]] == [commits[4], commits[3]]
    code, out, _ = run("log", "--since", "2026-11-27", "--repo", path, "--format", "json")
    assert [e["commit"] for e in json.loads(out)["snapshots"]] == [commits[4], commits[3]]
    code, out, _ = run("check", "--repo", path, "--format", "jsonl", "--object", "web*", "--path", "cluster")
    findings = [json.loads(line) for line in out.splitlines()]
    assert findings and {(f["name"], f["path"]) for f in findings} == {("web01-old", "cluster")}


def test_reversed_range_is_refused_in_one_line(state: tuple[Path, list[str]]) -> None:
    path, _ = state
    for args in (("diff", "HEAD", "HEAD~2"), ("diff", "HEAD", "HEAD~2", "--each")):
        code, out, err = run(*args, "--repo", path)
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and "is not older than" in err


def test_output_is_written_atomically(state: tuple[Path, list[str]], tmp_path: Path) -> None:
    path, _ = state
    target = tmp_path / "out" / "history.json"
    target.parent.mkdir()
    target.write_text("old report\n")
    code, out, _ = run("history", "vm", "vm-1", "--format", "json", "--output", target, "--repo", path)
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["id"] == "vm-1"
    assert [p.name for p in target.parent.iterdir()] == ["history.json"]  # no temporary file left
    text_file = tmp_path / "out" / "diff.txt"
    code, out, _ = run("diff", "--output", text_file, "--repo", path)
    assert code == 0 and out == "" and text_file.read_text().startswith("drift ")
    for output in (tmp_path / "missing" / "x.json", tmp_path / "out"):
        code, out, err = run("check", "--repo", path, "--format", "json", "--output", output)
        assert code == 2 and "--output" in err and err.count("\n") == 1
    assert [p.name for p in sorted(target.parent.iterdir())] == ["diff.txt", "history.json"]


def _config(path: Path, text: str) -> None:
    (path / "driftguard.yaml").write_text(text)


def test_suppressions_are_counted_with_their_rule(state: tuple[Path, list[str]]) -> None:
    path, commits = state
    _config(path, 'version: 1\nignore:\n  - pattern: "vm:cpu.*"\n    reason: CPU counts are the app team\'s\n')
    _, out, _ = run("diff", commits[0], commits[1], "--repo", path, "--format", "json", "--ignore", "vm:name")
    report = json.loads(out)
    assert report["items"] == []
    assert report["suppressed"] == {
        "items": 2,
        "rules": [{"pattern": "vm:cpu.*", "source": "driftguard.yaml", "items": 2}],
    }
    _, out, _ = run("history", "vm", "vm-1", "--repo", path, "--format", "json", "--ignore", "vm:name")
    hidden = json.loads(out)["suppressed"]
    assert hidden["items"] == 4
    assert {(r["pattern"], r["source"], r["items"]) for r in hidden["rules"]} == {
        ("vm:cpu.*", "driftguard.yaml", 3),
        ("vm:name", "--ignore", 1),
    }
    _, out, _ = run("history", "vm", "vm-1", "--repo", path)
    assert "3 changes hidden by ignore rules: vm:cpu.* (driftguard.yaml) 3" in out
    _, out, _ = run("check", "--repo", path, "--format", "json")
    assert json.loads(out)["suppressed"]["items"] == 1  # the revert 8 → 4 of the last commit
    _, out, _ = run("baseline", "ignored", "--repo", path, "--format", "json")
    preview = json.loads(out)
    assert "vm:cpu.*" in preview["patterns"] and preview["sources"]["vm:cpu.*"] == "driftguard.yaml"
    assert [i["path"] for i in preview["history"]] == ["cpu.count"]
    _, out, _ = run("baseline", "ignored", "--repo", path, "--format", "json", "--ignore", "vm:host")
    preview = json.loads(out)
    assert preview["sources"]["vm:host"] == "--ignore"
    assert sorted(i["path"] for i in preview["history"]) == ["cpu.count", "host"]


def test_exemptions_are_applied_reported_and_expire(state: tuple[Path, list[str]]) -> None:
    path, _ = state
    _config(
        path,
        "version: 1\nexemptions:\n"
        "  - rule: DG-HIST-001\n    object: web01-*\n    reason: moved by the migration project (CHG-42)\n"
        "  - rule: DG-HIST-001\n    object: db*\n    reason: old ticket\n    expires: 2020-01-01\n",
    )
    _, out, _ = run("check", "--repo", path, "--format", "json")
    report = json.loads(out)
    assert report["findings"] == [] or all(f["name"] != "web01-old" for f in report["findings"])
    assert report["summary"]["exempted"] == len(report["exempted"]) == 2
    assert {e["exemption"]["reason"] for e in report["exempted"]} == {"moved by the migration project (CHG-42)"}
    assert report["expired_exemptions"] == []
    _config(
        path,
        "version: 1\nexemptions:\n"
        "  - rule: DG-HIST-001\n    object: web01-*\n    reason: moved by the migration project (CHG-42)\n"
        "    expires: 2020-01-01\n",
    )
    _, out, _ = run("check", "--repo", path, "--format", "json")
    report = json.loads(out)
    assert report["exempted"] == [] and report["summary"]["expired_exemptions"] == 2
    assert {e["finding"]["name"] for e in report["expired_exemptions"]} == {"web01-old"}
    assert {f["name"] for f in report["findings"] if f["rule_id"] == "DG-HIST-001"} == {"web01-old"}


@pytest.mark.parametrize(
    ("args", "schema"),
    [
        (("diff", "--each", "--format", "jsonl"), "diff-item.line.schema.json"),
        (("history", "vm", "vm-1", "--format", "jsonl"), "history-entry.line.schema.json"),
        (("check", "--format", "jsonl"), "finding.line.schema.json"),
        (("history", "vm", "vm-1", "--format", "json"), "history-report.schema.json"),
        (("show", "vm", "vm-1", "--format", "json"), "object.schema.json"),
        (("diff", "--format", "json"), "diff-report.schema.json"),
        (("check", "--format", "json"), "check-report.schema.json"),
    ],
)
def test_outputs_follow_their_committed_json_schemas(
    state: tuple[Path, list[str]], args: tuple[str, ...], schema: str
) -> None:
    path, _ = state
    validator = jsonschema.Draft202012Validator(json.loads((SCHEMAS / schema).read_text()))
    code, out, _ = run(*args, "--repo", path)
    assert code == 0
    documents = [json.loads(line) for line in out.splitlines()] if "jsonl" in args else [json.loads(out)]
    assert documents
    for document in documents:
        validator.validate(document)


HOSTILE = "[bold red]web[/] [link=http://x]y\x1b[31m\u202egnp.exe\nnext"


def test_history_and_show_print_hostile_names_literally(tmp_path: Path) -> None:
    path = tmp_path / "state"
    frag = fragment()
    frag["vms"]["vm-1"]["name"] = HOSTILE
    with StateRepo.open(path, create=True) as repo:
        write(repo, frag, 0)
        frag["vms"]["vm-1"]["cpu"]["count"] = 6
        write(repo, frag, 1, [reconfigured(1, "[red]mallory[/]", "vm-1", 1)])
    for args in (("history", "vm", "vm-1"), ("show", "vm", "vm-1")):
        code, out, _ = run(*args, "--repo", path)
        assert code == 0, out
        assert "[bold red]web[/] [link=http://x]y\\x1b[31m\\u202egnp.exe\\nnext" in out
        assert "\x1b" not in out and "\u202e" not in out
    _, out, _ = run("history", "vm", "vm-1", "--repo", path)
    assert "by [red]mallory[/]" in out
    _, out, _ = run("history", "vm", "vm-1", "--repo", path, "--format", "markdown")
    assert "[red]mallory[/]" not in out and "\x1b" not in out


def test_selector_matches_users_with_or_without_domain() -> None:
    from driftguard.api.filters import user_matches

    assert user_matches(["carol"], "VSPHERE.LOCAL\\carol")
    assert user_matches(["carol"], "carol@vsphere.local")
    assert user_matches(["VSPHERE.LOCAL\\Carol"], "carol")
    assert user_matches(["car*"], "CORP\\Carol")
    assert not user_matches(["carol"], "VSPHERE.LOCAL\\carolyn")
    assert not user_matches(["carol"], None)


def test_output_write_failure_is_operational_and_leaves_nothing(
    state: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = state
    target = tmp_path / "reports" / "h.txt"
    target.parent.mkdir()
    target.write_text("yesterday's report\n")

    def disk_full(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)  # the rename fails as on a full disk (tests run as root)
    code, out, err = run("history", "vm", "vm-1", "--repo", path, "--output", target)
    assert code == 3 and out == "" and err.count("\n") == 1 and "cannot write --output" in err
    assert [p.name for p in target.parent.iterdir()] == ["h.txt"]  # the temporary file is gone
    assert target.read_text() == "yesterday's report\n"


def test_a_move_between_clusters_reads_as_cluster_names(state: tuple[Path, list[str]]) -> None:
    """Issue 11: a VM moved between clusters shows the clusters' names (from the state repo's file names), not
    their morefs; --wide adds the moref."""
    path, commits = state
    code, out, err = run("diff", "--repo", path, commits[3], commits[4], columns=160)
    assert code == 0, err
    assert "C1 → C2" in out or ("C1" in out and "C2" in out and "domain-c2" not in out), out
    assert "domain-c1" not in out
    _, wide, _ = run("diff", "--repo", path, commits[3], commits[4], "--wide", columns=160)
    assert "domain-c2" in wide
    md_code, md, _ = run("diff", "--repo", path, commits[3], commits[4], "--format", "markdown")
    assert md_code == 0 and "C2" in md and "domain-c2" not in md
