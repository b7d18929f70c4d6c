"""`make demo`: the first thing a newcomer runs.

Starts the vCenter simulator, takes a snapshot into ./demo-state, changes the estate through the vSphere API as
three different administrators (plus one change no audit trail explains), snapshots again and prints the
attributed diff and the history — all with the real `driftguard` command line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyVmomi import vim  # noqa: E402

from tests.vcsim import harness, scenario  # noqa: E402

STATE = ROOT / "demo-state"
DRIFTGUARD = [sys.executable, "-m", "driftguard"]


def run(*args: str) -> None:
    print(f"\n$ driftguard {' '.join(args)}", flush=True)
    subprocess.run([*DRIFTGUARD, *args], check=False)


def main() -> int:
    harness.build()
    shutil.rmtree(STATE, ignore_errors=True)
    env_password = "demo-password"  # noqa: S105 - the simulator accepts any non-empty password
    os.environ["DRIFTGUARD_PASSWORD"] = env_password
    with harness.start() as sim:
        url = sim.url
        print(f"vCenter simulator at {url}")
        auditor = "VSPHERE.LOCAL\\driftguard-audit"
        run("snapshot", "--vcenter", url, "--user", auditor, "--repo", str(STATE))

        with scenario.session(url, auditor) as si:
            vms = scenario.names(si, vim.VirtualMachine)
            clusters = scenario.names(si, vim.ClusterComputeResource)
            hosts = scenario.names(si, vim.HostSystem)
        print("\nchanging the estate as alice, bob and carol (and once with no audit trail) ...")
        scenario.set_vm_cpus(url, "VSPHERE.LOCAL\\alice", vms[0], 4)
        scenario.set_vm_memory(url, "VSPHERE.LOCAL\\bob", vms[1], 2048)
        scenario.connect_cdrom_iso(url, "VSPHERE.LOCAL\\bob", vms[1], "[LocalDS_0] iso/rescue.iso")
        scenario.set_das_option(url, "VSPHERE.LOCAL\\carol", clusters[0], "das.isolationaddress0", "10.9.9.9")
        scenario.add_portgroup(url, "root", hosts[0], "Shadow-DMZ", 66)

        run("snapshot", "--vcenter", url, "--user", auditor, "--repo", str(STATE))
        run("diff", "--repo", str(STATE))
        run("log", "--repo", str(STATE))
    print(f"\nThe state repo is in {STATE} (a plain git repository: try `git -C {STATE.name} log --stat`).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
