"""A real vCenter 8.0.2 VM (pyVmomi's own recording) through the collector's to_raw and normalize.vm (issue 9.6).

The SOAP answers are in ``tests/fixtures/real-events`` (source in its README); pyVmomi decodes them, so the test
proves that the real shape of ``runtime.featureMask``, ``featureRequirement``, ``offlineFeatureRequirement`` and
the device labels is what the model keeps.
"""

from __future__ import annotations

from driftguard.normalize import Inventory
from driftguard.normalize.vm import normalize_vm
from tests.attribute.real_events import real_vm_object


def _vm(**runtime_update: object):  # type: ignore[no-untyped-def]
    obj = real_vm_object(**runtime_update)
    return normalize_vm(obj, Inventory({"objects": {"VirtualMachine": [obj]}}))


def test_both_requirement_lists_are_kept_with_their_own_values() -> None:
    cpu = _vm().cpu
    assert "cpuid.cmpxchg16b=Bool:Match:1" in cpu.feature_requirements
    assert "cpuid.cmpxchg16b=Num:Match:1" in cpu.offline_feature_requirements
    assert len(cpu.feature_requirements) == 10 and len(cpu.offline_feature_requirements) == 10


def test_runtime_feature_mask_is_in_the_model() -> None:
    mask = _vm().cpu.runtime_feature_mask
    assert mask["cpuid.STEPPING"] == "Val:1" and mask["cpuid.Intel"] == "Val:1"
    assert list(mask) == sorted(mask)


def test_device_labels_are_trimmed_and_keyed_stably() -> None:
    vm = _vm()
    assert "Keyboard" in vm.devices and "Video card" in vm.devices
    assert not any(label != label.strip() for label in vm.devices)
    assert vm.devices["Keyboard"].key == 600 and vm.devices["Video card"].key == 500
