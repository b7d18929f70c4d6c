"""The issue-12 table: one plain simulator per estate size, every phase in its own process (peak RSS per phase).

    PYTHONPATH=. .venv/bin/python benchmarks/estate.py                 # 5,500 VMs
    DRIFTGUARD_BENCH_BIG=1 PYTHONPATH=. .venv/bin/python benchmarks/estate.py   # and 45,000 VMs

Phases, in this order, against the same simulator:

- ``capture`` (not timed): a driftguard collection through a recording proxy, keeping every SOAP request;
- ``raw``: the *raw limit*: the captured ``RetrievePropertiesEx`` / ``ContinueRetrievePropertiesEx`` requests sent
  again with http.client and each response parsed by lxml (the cheapest a Python client can read the estate);
- ``pyvmomi``: the same requests, each response deserialised by pyVmomi's SOAP deserialiser (PropertyCollector);
- ``first``, ``no-change``: ``driftguard.api.snapshot`` into a fresh state repo, then again (the VMs whose answers
  did not change are not decoded: ``reused``); ``full-read``: the same with ``DRIFTGUARD_REUSE=0``;
- ``churn`` (not timed): 1 % of the VMs reconfigured in the simulator (memory) through pyVmomi;
- ``changed``: the snapshot after that, and ``diff``: ``driftguard.api.diff`` of that pair.

Figures only, never asserted. Everything goes through the public api, so the bench measures whichever decoder
``driftguard.collect`` has.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

USER, PASSWORD = "bench", "bench"  # the simulator accepts any login
INVENTORY = (b"RetrievePropertiesEx", b"ContinueRetrievePropertiesEx")
SIZES = {
    "5,500": {"clusters": 10, "hosts": 10, "vms": 55, "standalone_hosts": 0},
    "45,000": {"clusters": 20, "hosts": 22, "vms": 102, "standalone_hosts": 0},
}
_METHOD = re.compile(rb"<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)")
_HANDLES = re.compile(rb"<token>([^<]+)</token>|<returnval type=\"\w+\">([^<]+)</returnval>")


# -- capture and replay ----------------------------------------------------------------------------------------


def soap_method(body: bytes) -> bytes:
    found = _METHOD.search(body)
    return found.group(1) if found else b"?"


class Recorder(ThreadingHTTPServer):
    """A loopback proxy in front of the simulator that keeps each request and response, in order, on disk."""

    def __init__(self, upstream: str, directory: Path) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Forward)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sdk"


class _Forward(BaseHTTPRequestHandler):
    server: Recorder
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=600)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        upstream.request("POST", self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        with self.server.lock:
            self.server.count += 1
            number = self.server.count
        (self.server.directory / f"{number:06}.req").write_bytes(body)
        (self.server.directory / f"{number:06}.res").write_bytes(data)
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()


def replay(url: str, directory: Path, parse: Any) -> tuple[float, int, int]:
    """Send the captured requests again on one connection, in order; (seconds, bytes, pages) of the inventory ones.

    Tokens and view ids in later requests are mapped to the ones the simulator answers this time.
    """
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=600)
    cookie: str | None = None
    mapping: dict[bytes, bytes] = {}
    seconds, size, pages = 0.0, 0, 0
    first = next((r for r in sorted(directory.glob("*.req")) if soap_method(r.read_bytes()) in INVENTORY), None)
    if first is not None:
        parse(first.with_suffix(".res").read_bytes())  # warm-up, untimed: pyVmomi loads its types on first use
    for request in sorted(directory.glob("*.req")):
        body = request.read_bytes()
        for old, new in mapping.items():
            body = body.replace(old, new)
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "urn:vim25/8.0.2.0"}
        if cookie:
            headers["Cookie"] = cookie
        timed = soap_method(body) in INVENTORY
        started = time.perf_counter()
        connection.request("POST", parts.path or "/sdk", body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        if timed:
            parse(data)
            seconds += time.perf_counter() - started
            size += len(data)
            pages += 1
        cookie = (answer.getheader("Set-Cookie") or "").split(";")[0] or cookie
        recorded = _handles(request.with_suffix(".res").read_bytes())
        for old, new in zip(recorded, _handles(data), strict=False):
            if old != new:
                mapping[old] = new
        del data
    connection.close()
    return seconds, size, pages


def _handles(data: bytes) -> list[bytes]:
    return [token or view for token, view in _HANDLES.findall(data)]


# -- phases (each in its own process) --------------------------------------------------------------------------


def _connection(url: str) -> Any:
    from pydantic import SecretStr

    from driftguard import api

    return api.Connection(url=url, user=USER, password=SecretStr(PASSWORD))


def phase_capture(url: str, work: Path) -> dict[str, Any]:
    from driftguard import api

    directory = work / "capture"
    directory.mkdir(exist_ok=True)
    recorder = Recorder(url, directory)
    thread = threading.Thread(target=recorder.serve_forever, daemon=True)
    thread.start()
    try:
        snapshot = api.collect_snapshot(_connection(recorder.url))
    finally:
        recorder.shutdown()
        recorder.server_close()
    return {"objects": sum(snapshot.manifest.counts.values()), "vms": snapshot.manifest.counts["vm"]}


def phase_raw(url: str, work: Path) -> dict[str, Any]:
    from lxml import etree

    seconds, size, pages = replay(url, work / "capture", etree.fromstring)
    return {"seconds": seconds, "mb": size / 1e6, "pages": pages}


def phase_pyvmomi(url: str, work: Path) -> dict[str, Any]:
    from pyVmomi import SoapStubAdapter, VmomiSupport
    from pyVmomi.SoapAdapter import SoapResponseDeserializer

    parts = urlsplit(url)
    stub = SoapStubAdapter(host=parts.hostname, port=parts.port, version="vim.version.v8_0_2_0")
    result = VmomiSupport.GetVmodlType("vmodl.query.PropertyCollector.RetrieveResult")

    def parse(data: bytes) -> Any:
        return SoapResponseDeserializer(stub).Deserialize(data, result)

    seconds, size, pages = replay(url, work / "capture", parse)
    return {"seconds": seconds, "mb": size / 1e6, "pages": pages}


def phase_snapshot(url: str, work: Path) -> dict[str, Any]:
    from driftguard import api

    started = time.perf_counter()
    result = api.snapshot(_connection(url), work / "state")
    seconds = time.perf_counter() - started
    items = len(result.report.items) if result.report is not None else 0
    return {"seconds": seconds, "commit": bool(result.commit), "items": items, "reused": result.reused}


def phase_full_read(url: str, work: Path) -> dict[str, Any]:
    """The no-change snapshot again with reuse off (DRIFTGUARD_REUSE=0): every VM decoded and normalised."""
    os.environ["DRIFTGUARD_REUSE"] = "0"
    return phase_snapshot(url, work)


def phase_churn(url: str, work: Path) -> dict[str, Any]:
    from pyVim.connect import Disconnect, SmartConnect
    from pyVim.task import WaitForTasks
    from pyVmomi import vim

    parts = urlsplit(url)
    si = SmartConnect(protocol="http", host=parts.hostname, port=parts.port, user=USER, pwd=PASSWORD)
    try:
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        vms = sorted(view.view, key=lambda vm: vm._moId)
        chosen = vms[:: max(1, len(vms) // max(1, len(vms) // 100))][: max(1, len(vms) // 100)]
        specs = [(vm, vim.vm.ConfigSpec(memoryMB=vm.config.hardware.memoryMB + 256)) for vm in chosen]
        tasks = [vm.ReconfigVM_Task(spec=spec) for vm, spec in specs]
        WaitForTasks(tasks, si=si)
    finally:
        Disconnect(si)
    return {"changed": len(chosen)}


def phase_diff(url: str, work: Path) -> dict[str, Any]:
    from driftguard import api

    started = time.perf_counter()
    report = api.diff(work / "state")
    return {"seconds": time.perf_counter() - started, "items": len(report.items)}


PHASES = {
    "capture": phase_capture,
    "raw": phase_raw,
    "pyvmomi": phase_pyvmomi,
    "first": phase_snapshot,
    "no-change": phase_snapshot,
    "full-read": phase_full_read,
    "churn": phase_churn,
    "changed": phase_snapshot,
    "diff": phase_diff,
}


def run_phase(name: str, url: str, work: Path) -> dict[str, Any]:
    """One phase in a fresh interpreter; its figures plus its peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    command = [sys.executable, str(Path(__file__)), "--phase", name, "--url", url, "--work", str(work)]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- the table --------------------------------------------------------------------------------------------------


def measure(label: str, flags: dict[str, int]) -> dict[str, dict[str, Any]]:
    from tests.vcsim import harness

    results: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    with harness.start(timeout=1800, **flags) as sim, tempfile.TemporaryDirectory(prefix="driftguard-bench-") as tmp:
        print(f"  {label} VMs: simulator {flags} up in {time.perf_counter() - started:.0f} s", flush=True)
        for name in PHASES:
            results[name] = run_phase(name, sim.url, Path(tmp))
            print(f"    {name:<10} {json.dumps(results[name])}", flush=True)
    return results


def table(rows: dict[str, dict[str, dict[str, Any]]]) -> Iterator[str]:
    yield (
        "| VMs | raw limit | pyVmomi PropertyCollector | first `snapshot` | no-change `snapshot` "
        "| no-change, full read | after 1 % changed | `diff` of that pair "
        "| peak RSS (first / no-change / full read / changed / diff) |"
    )
    yield "|---|---|---|---|---|---|---|---|---|"
    for label, r in rows.items():
        raw = r["raw"]["seconds"]

        def ratio(name: str, r: dict[str, dict[str, Any]] = r, raw: float = raw) -> str:
            return f"{r[name]['seconds']:.1f} s (**{r[name]['seconds'] / raw:.1f}×**)"

        rss = " / ".join(f"{r[name]['rss_mb']:.0f}" for name in ("first", "no-change", "full-read", "changed", "diff"))
        yield (
            f"| {label} | {raw:.1f} s ({r['raw']['mb']:.0f} MB of SOAP, {r['raw']['pages']} pages) "
            f"| {ratio('pyvmomi')} "
            f"| {ratio('first')} | {ratio('no-change')} | {ratio('full-read')} | {ratio('changed')} "
            f"| {r['diff']['seconds']:.2f} s for {r['diff']['items']} items | {rss} MB |"
        )
    if len(rows) == 2:
        small, big = rows.values()
        yield ""
        yield f"diff at 45,000 / diff at 5,500: {big['diff']['seconds'] / small['diff']['seconds']:.2f}×"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phase", choices=sorted(PHASES))
    parser.add_argument("--url")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--estate", help="one custom estate instead, e.g. clusters=1,hosts=2,vms=5")
    args = parser.parse_args()
    if args.phase:
        figures = PHASES[args.phase](args.url, args.work)
        figures["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures))
        return
    if args.estate:
        flags = {key: int(value) for key, value in (part.split("=") for part in args.estate.split(","))}
        SIZES["custom"] = {"standalone_hosts": 0, **flags}
    big = os.environ.get("DRIFTGUARD_BENCH_BIG") == "1"
    sizes = ["custom"] if args.estate else ["5,500", "45,000"] if big else ["5,500"]
    print(f"estate benchmark: {', '.join(sizes)} VMs (45,000 only with DRIFTGUARD_BENCH_BIG=1)", flush=True)
    rows = {label: measure(label, SIZES[label]) for label in sizes}
    print()
    for line in table(rows):
        print(line)


if __name__ == "__main__":
    main()
