package main

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/esx"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// hostNetworkSystem replaces vcsim's HostNetworkSystem in the registry
// (vcsim dispatches SOAP calls by reflection on the registered object, so
// methods defined here win over the embedded ones). It embeds the simulator
// type by value because vcsim's PropertyCollector digs the mo type out of
// the first struct field; nothing in vcsim type-asserts *HostNetworkSystem.
//
// vcsim 0.24.2 updates only networkSystem.networkInfo (with portgroup names
// where ESXi uses keys), never host.config.network, fails AddPortGroup with
// DuplicateName when a second host adds the same name (it creates a new
// datacenter Network entity each time), and has no UpdatePortGroup or
// UpdateVirtualSwitch. Here networkInfo and config.network are one object
// (set up by preloadHostNetwork) and the methods follow the vSphere API
// reference for HostNetworkSystem. Like real vCenter, none posts an event.
type hostNetworkSystem struct {
	simulator.HostNetworkSystem
}

func wrapNetworkSystem(ns *simulator.HostNetworkSystem) {
	simulator.Map.Put(&hostNetworkSystem{HostNetworkSystem: *ns})
}

// keys as ESXi builds them
func portgroupKey(name string) string { return "key-vim.host.PortGroup-" + name }
func vswitchKey(name string) string   { return "key-vim.host.VirtualSwitch-" + name }
func pnicKey(device string) string    { return "key-vim.host.PhysicalNic-" + device }

func fault(f types.BaseMethodFault) *soap.Fault { return simulator.Fault("", f) }

func findVswitch(info *types.HostNetworkInfo, name string) *types.HostVirtualSwitch {
	for i := range info.Vswitch {
		if info.Vswitch[i].Name == name {
			return &info.Vswitch[i]
		}
	}
	return nil
}

func findPortgroup(info *types.HostNetworkInfo, name string) int {
	for i := range info.Portgroup {
		if info.Portgroup[i].Spec.Name == name {
			return i
		}
	}
	return -1
}

// inheritPolicy is a portgroup policy that overrides nothing, the shape
// ESXi reports for a portgroup created with default settings.
func inheritPolicy() types.HostNetworkPolicy {
	return types.HostNetworkPolicy{
		Security:      &types.HostNetworkSecurityPolicy{},
		NicTeaming:    &types.HostNicTeamingPolicy{FailureCriteria: &types.HostNicFailureCriteria{}},
		OffloadPolicy: &types.HostNetOffloadCapabilities{},
		ShapingPolicy: &types.HostNetworkTrafficShapingPolicy{},
	}
}

// computedPolicy is the effective portgroup policy: the vSwitch policy with
// every field the portgroup spec sets taking precedence (an unset field
// inherits). A nicOrder, when set, replaces the vSwitch order as a whole.
func computedPolicy(vswitch *types.HostVirtualSwitch, spec *types.HostPortGroupSpec) types.HostNetworkPolicy {
	var out types.HostNetworkPolicy
	if vswitch.Spec.Policy != nil {
		deepCopy(vswitch.Spec.Policy, &out)
	}
	var override types.HostNetworkPolicy
	deepCopy(&spec.Policy, &override)
	_ = mergeSet(&out, &override, mergeOptions{atomic: isNicOrder})
	return out
}

func isNicOrder(v interface{}) bool {
	_, ok := v.(*types.HostNicOrderPolicy)
	return ok
}

func newHostPortGroup(vswitch *types.HostVirtualSwitch, spec types.HostPortGroupSpec) types.HostPortGroup {
	return types.HostPortGroup{
		Key:            portgroupKey(spec.Name),
		Vswitch:        vswitch.Key,
		Spec:           spec,
		ComputedPolicy: computedPolicy(vswitch, &spec),
	}
}

// hostOf returns the simulator HostSystem of this network system.
func (s *hostNetworkSystem) hostOf() *simulator.HostSystem {
	return simulator.Map.Get(s.Host.Self).(*simulator.HostSystem)
}

// withHost runs f with the host locked (the network system itself is locked
// by vcsim's dispatcher) and then tells property collectors about the change.
func (s *hostNetworkSystem) withHost(f func(h *simulator.HostSystem, info *types.HostNetworkInfo) *soap.Fault) *soap.Fault {
	h := s.hostOf()
	var err *soap.Fault
	simulator.Map.WithLock(h, func() {
		err = f(h, s.NetworkInfo)
		if err == nil {
			simulator.Map.Update(h, []types.PropertyChange{{Name: "config.network", Val: s.NetworkInfo}})
		}
	})
	if err == nil {
		simulator.Map.Update(&s.HostNetworkSystem, []types.PropertyChange{{Name: "networkInfo", Val: s.NetworkInfo}})
	}
	return err
}

func validVlan(id int32) bool { return id >= 0 && id <= 4095 }

// AddPortGroup mirrors HostNetworkSystem.AddPortGroup: InvalidArgument for
// an empty name or a VLAN outside 0-4095, NotFound for an unknown vSwitch,
// AlreadyExists for a name already on this host. The datacenter Network
// entity of that name is shared with other hosts (created if missing).
func (s *hostNetworkSystem) AddPortGroup(ctx *simulator.Context, req *types.AddPortGroup) soap.HasFault {
	body := &methods.AddPortGroupBody{}
	spec := req.Portgrp
	body.Fault_ = s.withHost(func(h *simulator.HostSystem, info *types.HostNetworkInfo) *soap.Fault {
		switch {
		case spec.Name == "":
			return fault(&types.InvalidArgument{InvalidProperty: "portgrp.name"})
		case !validVlan(spec.VlanId):
			return fault(&types.InvalidArgument{InvalidProperty: "portgrp.vlanId"})
		case findPortgroup(info, spec.Name) >= 0:
			return fault(&types.AlreadyExists{Name: spec.Name})
		}
		vswitch := findVswitch(info, spec.VswitchName)
		if vswitch == nil {
			return fault(&types.NotFound{})
		}
		info.Portgroup = append(info.Portgroup, newHostPortGroup(vswitch, spec))
		vswitch.Portgroup = append(vswitch.Portgroup, portgroupKey(spec.Name))
		return attachPortgroupNetwork(h, spec.Name)
	})
	if body.Fault_ == nil {
		body.Res = &types.AddPortGroupResponse{}
	}
	return body
}

// portgroupInUse reports whether a VMkernel NIC or a VM on this host uses the
// portgroup; ESXi refuses to remove such a portgroup with ResourceInUse.
func portgroupInUse(h *simulator.HostSystem, info *types.HostNetworkInfo, name string) bool {
	for _, vnic := range info.Vnic {
		if vnic.Portgroup == name {
			return true
		}
	}
	for _, ref := range h.Vm {
		vm, ok := simulator.Map.Get(ref).(*simulator.VirtualMachine)
		if !ok || vm.Config == nil {
			continue
		}
		for _, d := range vm.Config.Hardware.Device {
			if nic, ok := d.(types.BaseVirtualEthernetCard); ok {
				if b, ok := nic.GetVirtualEthernetCard().Backing.(*types.VirtualEthernetCardNetworkBackingInfo); ok && b.DeviceName == name {
					return true
				}
			}
		}
	}
	return false
}

func removeString(list []string, s string) []string {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func (s *hostNetworkSystem) removePortgroup(h *simulator.HostSystem, info *types.HostNetworkInfo, i int) *soap.Fault {
	pg := info.Portgroup[i]
	info.Portgroup = append(info.Portgroup[:i:i], info.Portgroup[i+1:]...)
	for j := range info.Vswitch {
		info.Vswitch[j].Portgroup = removeString(info.Vswitch[j].Portgroup, pg.Key)
	}
	return detachPortgroupNetwork(h, pg.Spec.Name)
}

// RemovePortGroup mirrors HostNetworkSystem.RemovePortGroup: NotFound for an
// unknown name, ResourceInUse while a VMkernel NIC or VM uses it.
func (s *hostNetworkSystem) RemovePortGroup(ctx *simulator.Context, req *types.RemovePortGroup) soap.HasFault {
	body := &methods.RemovePortGroupBody{}
	body.Fault_ = s.withHost(func(h *simulator.HostSystem, info *types.HostNetworkInfo) *soap.Fault {
		i := findPortgroup(info, req.PgName)
		if i < 0 {
			return fault(&types.NotFound{})
		}
		if portgroupInUse(h, info, req.PgName) {
			return fault(&types.ResourceInUse{Name: req.PgName})
		}
		return s.removePortgroup(h, info, i)
	})
	if body.Fault_ == nil {
		body.Res = &types.RemovePortGroupResponse{}
	}
	return body
}

// UpdatePortGroup mirrors HostNetworkSystem.UpdatePortGroup: the spec
// replaces the portgroup's spec as a whole (name, VLAN, vSwitch, policy);
// a new name renames the portgroup (key, VMkernel NIC references and the
// host's datacenter Network entity follow).
func (s *hostNetworkSystem) UpdatePortGroup(ctx *simulator.Context, req *types.UpdatePortGroup) soap.HasFault {
	body := &methods.UpdatePortGroupBody{}
	spec := req.Portgrp
	body.Fault_ = s.withHost(func(h *simulator.HostSystem, info *types.HostNetworkInfo) *soap.Fault {
		i := findPortgroup(info, req.PgName)
		if i < 0 {
			return fault(&types.NotFound{})
		}
		if spec.Name == "" {
			spec.Name = req.PgName
		}
		if spec.VswitchName == "" {
			spec.VswitchName = info.Portgroup[i].Spec.VswitchName
		}
		switch {
		case !validVlan(spec.VlanId):
			return fault(&types.InvalidArgument{InvalidProperty: "portgrp.vlanId"})
		case spec.Name != req.PgName && findPortgroup(info, spec.Name) >= 0:
			return fault(&types.AlreadyExists{Name: spec.Name})
		}
		vswitch := findVswitch(info, spec.VswitchName)
		if vswitch == nil {
			return fault(&types.NotFound{})
		}
		old := info.Portgroup[i]
		pg := newHostPortGroup(vswitch, spec)
		pg.Port = old.Port
		info.Portgroup[i] = pg
		for j := range info.Vswitch {
			info.Vswitch[j].Portgroup = removeString(info.Vswitch[j].Portgroup, old.Key)
		}
		vswitch.Portgroup = append(vswitch.Portgroup, pg.Key)
		if spec.Name == req.PgName {
			return nil
		}
		for j := range info.Vnic {
			if info.Vnic[j].Portgroup == req.PgName {
				info.Vnic[j].Portgroup = spec.Name
				info.Vnic[j].Spec.Portgroup = spec.Name
			}
		}
		if err := detachPortgroupNetwork(h, req.PgName); err != nil {
			return err
		}
		return attachPortgroupNetwork(h, spec.Name)
	})
	if body.Fault_ == nil {
		body.Res = &types.UpdatePortGroupResponse{}
	}
	return body
}

// defaultVswitchPolicy is what a new standard vSwitch gets when the spec has
// no policy: the policy of vcsim's (ESXi 6.5) vSwitch0 template.
func defaultVswitchPolicy() *types.HostNetworkPolicy {
	var p types.HostNetworkPolicy
	deepCopy(esx.HostConfigInfo.Network.Vswitch[0].Spec.Policy, &p)
	return &p
}

func applyVswitchSpec(vs *types.HostVirtualSwitch, spec types.HostVirtualSwitchSpec) {
	if spec.NumPorts == 0 {
		spec.NumPorts = 128
	}
	if spec.Policy == nil {
		spec.Policy = vs.Spec.Policy
		if spec.Policy == nil {
			spec.Policy = defaultVswitchPolicy()
		}
	}
	vs.Spec = spec
	vs.NumPorts = spec.NumPorts
	vs.NumPortsAvailable = spec.NumPorts - int32(len(vs.Portgroup))
	vs.Mtu = spec.Mtu
	if vs.Mtu == 0 {
		vs.Mtu = 1500
	}
	vs.Pnic = nil
	if b, ok := spec.Bridge.(*types.HostVirtualSwitchBondBridge); ok {
		for _, dev := range b.NicDevice {
			vs.Pnic = append(vs.Pnic, pnicKey(dev))
		}
	}
}

// AddVirtualSwitch mirrors HostNetworkSystem.AddVirtualSwitch
// (AlreadyExists for a duplicate name).
func (s *hostNetworkSystem) AddVirtualSwitch(ctx *simulator.Context, req *types.AddVirtualSwitch) soap.HasFault {
	body := &methods.AddVirtualSwitchBody{}
	body.Fault_ = s.withHost(func(h *simulator.HostSystem, info *types.HostNetworkInfo) *soap.Fault {
		if req.VswitchName == "" {
			return fault(&types.InvalidArgument{InvalidProperty: "vswitchName"})
		}
		if findVswitch(info, req.VswitchName) != nil {
			return fault(&types.AlreadyExists{Name: req.VswitchName})
		}
		vs := types.HostVirtualSwitch{Name: req.VswitchName, Key: vswitchKey(req.VswitchName)}
		var spec types.HostVirtualSwitchSpec
		if req.Spec != nil {
			spec = *req.Spec
		}
		applyVswitchSpec(&vs, spec)
		info.Vswitch = append(info.Vswitch, vs)
		return nil
	})
	if body.Fault_ == nil {
		body.Res = &types.AddVirtualSwitchResponse{}
	}
	return body
}

// UpdateVirtualSwitch mirrors HostNetworkSystem.UpdateVirtualSwitch: the spec
// replaces the vSwitch spec (a spec without policy keeps the current one) and
// the computed policy of its portgroups follows.
func (s *hostNetworkSystem) UpdateVirtualSwitch(ctx *simulator.Context, req *types.UpdateVirtualSwitch) soap.HasFault {
	body := &methods.UpdateVirtualSwitchBody{}
	body.Fault_ = s.withHost(func(h *simulator.HostSystem, info *types.HostNetworkInfo) *soap.Fault {
		vs := findVswitch(info, req.VswitchName)
		if vs == nil {
			return fault(&types.NotFound{})
		}
		applyVswitchSpec(vs, req.Spec)
		for i := range info.Portgroup {
			if info.Portgroup[i].Vswitch == vs.Key {
				info.Portgroup[i].ComputedPolicy = computedPolicy(vs, &info.Portgroup[i].Spec)
			}
		}
		return nil
	})
	if body.Fault_ == nil {
		body.Res = &types.UpdateVirtualSwitchResponse{}
	}
	return body
}

// RemoveVirtualSwitch mirrors HostNetworkSystem.RemoveVirtualSwitch: its
// portgroups go with it, unless one is in use (ResourceInUse).
func (s *hostNetworkSystem) RemoveVirtualSwitch(ctx *simulator.Context, req *types.RemoveVirtualSwitch) soap.HasFault {
	body := &methods.RemoveVirtualSwitchBody{}
	body.Fault_ = s.withHost(func(h *simulator.HostSystem, info *types.HostNetworkInfo) *soap.Fault {
		vs := findVswitch(info, req.VswitchName)
		if vs == nil {
			return fault(&types.NotFound{})
		}
		key := vs.Key
		for _, pg := range info.Portgroup {
			if pg.Vswitch == key && portgroupInUse(h, info, pg.Spec.Name) {
				return fault(&types.ResourceInUse{Name: pg.Spec.Name})
			}
		}
		for i := len(info.Portgroup) - 1; i >= 0; i-- {
			if info.Portgroup[i].Vswitch == key {
				if err := s.removePortgroup(h, info, i); err != nil {
					return err
				}
			}
		}
		for i := range info.Vswitch {
			if info.Vswitch[i].Key == key {
				info.Vswitch = append(info.Vswitch[:i:i], info.Vswitch[i+1:]...)
				break
			}
		}
		return nil
	})
	if body.Fault_ == nil {
		body.Res = &types.RemoveVirtualSwitchResponse{}
	}
	return body
}

// hostDatacenter walks up the inventory to the host's datacenter.
func hostDatacenter(h *simulator.HostSystem) *simulator.Datacenter {
	ref := h.Parent
	for ref != nil {
		obj := simulator.Map.Get(*ref)
		if dc, ok := obj.(*simulator.Datacenter); ok {
			return dc
		}
		e, ok := obj.(mo.Entity)
		if !ok {
			return nil
		}
		ref = e.Entity().Parent
	}
	return nil
}

func attachPortgroupNetwork(h *simulator.HostSystem, name string) *soap.Fault {
	dc := hostDatacenter(h)
	if dc == nil {
		return fault(&types.NotFound{})
	}
	net, err := ensureNetwork(dc, name)
	if err != nil {
		return fault(&types.InvalidState{})
	}
	attachHostNetwork(h, net)
	return nil
}

func detachPortgroupNetwork(h *simulator.HostSystem, name string) *soap.Fault {
	if dc := hostDatacenter(h); dc != nil {
		if net := findNetwork(dc, name); net != nil {
			detachHostNetwork(dc, h, net)
		}
	}
	return nil
}

// findNetwork returns the datacenter's standard-portgroup Network entity
// of that name (not a DVPG or opaque network of the same name).
func findNetwork(dc *simulator.Datacenter, name string) *mo.Network {
	for _, ref := range dc.Network {
		if ref.Type != "Network" {
			continue
		}
		if n, ok := simulator.Map.Get(ref).(*mo.Network); ok && n.Name == name {
			return n
		}
	}
	return nil
}

// ensureNetwork returns the datacenter Network entity for a standard
// portgroup name, creating it like vcsim's folderPutChild does (the folder's
// childEntity is updated before the registry Put so container views notice).
func ensureNetwork(dc *simulator.Datacenter, name string) (*mo.Network, error) {
	if n := findNetwork(dc, name); n != nil {
		return n, nil
	}
	folder := simulator.Map.Get(dc.NetworkFolder).(*simulator.Folder)
	n := &mo.Network{Name: name}
	n.Entity().Name = name
	simulator.Map.NewEntity(n)
	simulator.Map.WithLock(folder, func() {
		folder.ChildEntity = append(folder.ChildEntity, n.Self)
		simulator.Map.PutEntity(folder, n)
	})
	n.Summary = &types.NetworkSummary{Network: &n.Self, Name: name, Accessible: true}
	simulator.Map.AddReference(dc, &dc.Network, n.Self)
	return n, nil
}

// computeResourceNetworks returns the network list of the host's parent
// (cluster or standalone compute resource).
func computeResourceNetworks(h *simulator.HostSystem) (mo.Reference, *[]types.ManagedObjectReference, []types.ManagedObjectReference) {
	switch cr := simulator.Map.Get(*h.Parent).(type) {
	case *simulator.ClusterComputeResource:
		return cr, &cr.Network, cr.Host
	case *mo.ComputeResource:
		return cr, &cr.Network, cr.Host
	}
	return nil, nil, nil
}

func attachHostNetwork(h *simulator.HostSystem, n *mo.Network) {
	simulator.Map.AddReference(n, &n.Host, h.Self)
	h.Network = appendRef(h.Network, n.Self) // the host is locked by the caller or not yet served
	if cr, list, _ := computeResourceNetworks(h); cr != nil {
		simulator.Map.AddReference(cr, list, n.Self)
	}
}

// detachHostNetwork undoes attachHostNetwork and, like vCenter, deletes the
// Network entity once no host has a portgroup of that name any more.
func detachHostNetwork(dc *simulator.Datacenter, h *simulator.HostSystem, n *mo.Network) {
	simulator.Map.RemoveReference(n, &n.Host, h.Self)
	simulator.RemoveReference(&h.Network, n.Self)
	if cr, list, hosts := computeResourceNetworks(h); cr != nil {
		still := false
		for _, other := range hosts {
			if other != h.Self && simulator.FindReference(n.Host, other) != nil {
				still = true
			}
		}
		if !still {
			simulator.Map.RemoveReference(cr, list, n.Self)
		}
	}
	if len(n.Host) > 0 || len(n.Vm) > 0 {
		return
	}
	folder := simulator.Map.Get(dc.NetworkFolder).(*simulator.Folder)
	simulator.Map.Remove(n.Self)
	simulator.Map.RemoveReference(folder, &folder.ChildEntity, n.Self)
	simulator.Map.RemoveReference(dc, &dc.Network, n.Self)
}

func appendRef(list []types.ManagedObjectReference, ref types.ManagedObjectReference) []types.ManagedObjectReference {
	if simulator.FindReference(list, ref) != nil {
		return list
	}
	return append(list, ref)
}
