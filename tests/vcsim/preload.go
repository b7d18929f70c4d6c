package main

import (
	"context"
	"fmt"
	"path"
	"sort"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/esx"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// Names of the standard portgroups every host gets besides vcsim's
// "VM Network" and "Management Network".
const (
	vmotionPortgroup = "vMotion"
	vmotionVlan      = 20
	appPortgroup     = "Prod-App"
	appVlan          = 100
	vmotionVnic      = "vmk1"
)

type inventoryCounts struct {
	Datacenters     int `json:"datacenters"`
	Clusters        int `json:"clusters"`
	Hosts           int `json:"hosts"`
	StandaloneHosts int `json:"standalone_hosts"`
	VMs             int `json:"vms"`
}

type refInfo struct {
	Name  string `json:"name"`
	Moref string `json:"moref"`
}

type vmInfo struct {
	Name    string `json:"name"`
	Moref   string `json:"moref"`
	Network string `json:"network"` // name of the portgroup backing the VM's NIC
}

type hostInfo struct {
	Name       string   `json:"name"`
	Moref      string   `json:"moref"`
	VmotionIP  string   `json:"vmotion_ip"`
	VMs        []vmInfo `json:"vms"`
	Standalone bool     `json:"standalone"`
	// ComputeResource is the moref of a standalone host's ComputeResource.
	ComputeResource string `json:"compute_resource,omitempty"`
}

type clusterInfo struct {
	Name             string     `json:"name"`
	Moref            string     `json:"moref"`
	IsolationAddress string     `json:"isolation_address"` // das.isolationaddress0
	Hosts            []hostInfo `json:"hosts"`
}

type dcInfo struct {
	Name            string        `json:"name"`
	Moref           string        `json:"moref"`
	Clusters        []clusterInfo `json:"clusters"`
	StandaloneHosts []hostInfo    `json:"standalone_hosts"`
	Networks        []refInfo     `json:"networks"`
	Datastores      []refInfo     `json:"datastores"`
}

type inventory struct {
	Datacenters []dcInfo
	Counts      inventoryCounts
}

// preloader walks the inventory vcsim's Model built, in a deterministic
// order (datacenters by name, then host folder order = creation order), and
// applies the realistic configuration. Ordinals number clusters, hosts and
// VMs across all datacenters; addresses derive from them.
type preloader struct {
	ctx       context.Context
	client    *vim25.Client
	vmsByHost int
	cluster   int
	host      int
	vm        int
}

func preload(model *simulator.Model, opts options) (*inventory, error) {
	ctx := context.Background()
	// In-process client: calls go through vcsim's reflection dispatch, no HTTP.
	client, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		return nil, err
	}
	p := &preloader{ctx: ctx, client: client, vmsByHost: opts.vms}

	var dcs []*simulator.Datacenter
	for _, e := range simulator.Map.All("Datacenter") {
		dcs = append(dcs, e.(*simulator.Datacenter))
	}
	sort.Slice(dcs, func(i, j int) bool { return dcs[i].Name < dcs[j].Name })

	inv := &inventory{}
	for _, dc := range dcs {
		info, err := p.datacenter(dc)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", dc.Name, err)
		}
		inv.Datacenters = append(inv.Datacenters, info)
		inv.Counts.Datacenters++
		inv.Counts.Clusters += len(info.Clusters)
		inv.Counts.StandaloneHosts += len(info.StandaloneHosts)
		for _, c := range info.Clusters {
			inv.Counts.Hosts += len(c.Hosts)
			for _, h := range c.Hosts {
				inv.Counts.VMs += len(h.VMs)
			}
		}
		for _, h := range info.StandaloneHosts {
			inv.Counts.Hosts++
			inv.Counts.VMs += len(h.VMs)
		}
	}
	return inv, nil
}

func (p *preloader) datacenter(dc *simulator.Datacenter) (dcInfo, error) {
	info := dcInfo{Name: dc.Name, Moref: dc.Self.Value, Clusters: []clusterInfo{}, StandaloneHosts: []hostInfo{}}
	renameDatastores(dc)

	// "Prod-App" is a VM portgroup on every host; like real vCenter, all
	// hosts share one datacenter Network entity per standard portgroup name.
	if _, err := ensureNetwork(dc, appPortgroup); err != nil {
		return info, err
	}
	// The VM portgroup vcsim's Model created on the DVS (not its uplink portgroup).
	var dvpg *simulator.DistributedVirtualPortgroup
	for _, ref := range dc.Network {
		if pg, ok := simulator.Map.Get(ref).(*simulator.DistributedVirtualPortgroup); ok && pg.Name == dc.Name+"_DVPG0" {
			dvpg = pg
		}
	}

	folder := simulator.Map.Get(dc.HostFolder).(*simulator.Folder)
	var hosts []*simulator.HostSystem // in order, for VM creation below
	for _, child := range folder.ChildEntity {
		switch obj := simulator.Map.Get(child).(type) {
		case *simulator.ClusterComputeResource:
			ci := clusterInfo{Name: obj.Name, Moref: obj.Self.Value, Hosts: []hostInfo{}}
			ci.IsolationAddress = preloadCluster(obj, p.cluster)
			p.cluster++
			for _, ref := range obj.Host {
				h := simulator.Map.Get(ref).(*simulator.HostSystem)
				hi, err := p.preloadHost(dc, h, true)
				if err != nil {
					return info, err
				}
				ci.Hosts = append(ci.Hosts, hi)
				hosts = append(hosts, h)
			}
			info.Clusters = append(info.Clusters, ci)
		case *mo.ComputeResource:
			for _, ref := range obj.Host {
				h := simulator.Map.Get(ref).(*simulator.HostSystem)
				hi, err := p.preloadHost(dc, h, false)
				if err != nil {
					return info, err
				}
				hi.Standalone = true
				hi.ComputeResource = obj.Self.Value
				info.StandaloneHosts = append(info.StandaloneHosts, hi)
				hosts = append(hosts, h)
			}
		}
	}

	// VMs last: their NICs need the portgroups and Network entities above.
	vmsByHost := map[types.ManagedObjectReference][]vmInfo{}
	for _, h := range hosts {
		vms, err := p.createVMs(dc, h, dvpg)
		if err != nil {
			return info, fmt.Errorf("creating VMs on %s: %v", h.Name, err)
		}
		vmsByHost[h.Self] = vms
	}
	for i := range info.Clusters {
		for j := range info.Clusters[i].Hosts {
			hi := &info.Clusters[i].Hosts[j]
			hi.VMs = vmsByHost[types.ManagedObjectReference{Type: "HostSystem", Value: hi.Moref}]
		}
	}
	for j := range info.StandaloneHosts {
		hi := &info.StandaloneHosts[j]
		hi.VMs = vmsByHost[types.ManagedObjectReference{Type: "HostSystem", Value: hi.Moref}]
	}

	seen := map[types.ManagedObjectReference]bool{} // vcsim lists each DVPG twice
	for _, ref := range dc.Network {
		if e, ok := simulator.Map.Get(ref).(mo.Entity); ok && !seen[ref] {
			seen[ref] = true
			info.Networks = append(info.Networks, refInfo{Name: entityName(e), Moref: ref.Value})
		}
	}
	for _, ref := range dc.Datastore {
		if ds, ok := simulator.Map.Get(ref).(*simulator.Datastore); ok {
			info.Datastores = append(info.Datastores, refInfo{Name: ds.Name, Moref: ref.Value})
		}
	}
	return info, nil
}

// isolationAddress is das.isolationaddress0 of the n-th cluster: 10.<n>.0.1
// for the first 256 clusters, unique and deterministic beyond that.
func isolationAddress(n int) string {
	return fmt.Sprintf("10.%d.%d.1", n%256, (n/256)%256)
}

// preloadCluster applies HA/DRS/DPM/EVC settings as an administrator would
// have configured them. It runs before the server starts, so no locking.
func preloadCluster(c *simulator.ClusterComputeResource, n int) string {
	cfg := c.ConfigurationEx.(*types.ClusterConfigInfoEx)
	addr := isolationAddress(n)
	cfg.DasConfig = types.ClusterDasConfigInfo{
		Enabled:                 types.NewBool(true),
		VmMonitoring:            string(types.ClusterDasConfigInfoVmMonitoringStateVmMonitoringDisabled),
		HostMonitoring:          string(types.ClusterDasConfigInfoServiceStateEnabled),
		AdmissionControlEnabled: types.NewBool(true),
		AdmissionControlPolicy:  &types.ClusterFailoverLevelAdmissionControlPolicy{FailoverLevel: 1},
		DefaultVmSettings: &types.ClusterDasVmSettings{
			IsolationResponse: string(types.ClusterDasVmSettingsIsolationResponsePowerOff),
			RestartPriority:   string(types.ClusterDasVmSettingsRestartPriorityMedium),
		},
		Option: []types.BaseOptionValue{
			&types.OptionValue{Key: "das.isolationaddress0", Value: addr},
			&types.OptionValue{Key: "das.usedefaultisolationaddress", Value: "false"},
		},
		HBDatastoreCandidatePolicy: string(types.ClusterDasConfigInfoHBDatastoreCandidateAllFeasibleDsWithUserPreference),
	}
	cfg.DrsConfig = types.ClusterDrsConfigInfo{
		Enabled:                   types.NewBool(true),
		EnableVmBehaviorOverrides: types.NewBool(true),
		DefaultVmBehavior:         types.DrsBehaviorFullyAutomated,
		VmotionRate:               3,
	}
	cfg.DpmConfigInfo = &types.ClusterDpmConfigInfo{
		Enabled:             types.NewBool(false),
		DefaultDpmBehavior:  types.DpmBehaviorAutomated,
		HostPowerActionRate: 3,
	}
	c.Summary.(*types.ClusterComputeResourceSummary).CurrentEVCModeKey = "intel-broadwell"
	return addr
}

// vmotionIP is the unique vmk1 address of the n-th host (10.20.0.0/16).
func vmotionIP(n int) string {
	return fmt.Sprintf("10.20.%d.%d", (n/250)%256, n%250+1)
}

func vmotionMAC(n int) string {
	return fmt.Sprintf("00:50:56:6a:%02x:%02x", (n>>8)&0xff, n&0xff)
}

func (p *preloader) preloadHost(dc *simulator.Datacenter, h *simulator.HostSystem, inCluster bool) (hostInfo, error) {
	n := p.host
	p.host++
	info := hostInfo{Name: h.Name, Moref: h.Self.Value, VmotionIP: vmotionIP(n), VMs: []vmInfo{}}

	h.Summary.CurrentEVCModeKey = "intel-broadwell"
	h.Summary.MaxEVCModeKey = "intel-skylake"
	h.Summary.Config.VmotionEnabled = true
	if inCluster {
		h.Runtime.DasHostState = &types.ClusterDasFdmHostState{State: string(types.ClusterDasFdmAvailabilityStateConnectedToMaster)}
	}

	cfg := h.Config // a per-host deep copy made by vcsim's NewHostSystem
	cfg.DateTimeInfo = &types.HostDateTimeInfo{
		TimeZone:  types.HostDateTimeSystemTimeZone{Key: "UTC", Name: "UTC", Description: "UTC", GmtOffset: 0},
		NtpConfig: &types.HostNtpConfig{Server: []string{"0.pool.ntp.org", "1.pool.ntp.org"}},
	}
	cfg.LockdownMode = types.HostLockdownModeLockdownNormal
	if cfg.Service != nil {
		for i := range cfg.Service.Service {
			s := &cfg.Service.Service[i]
			switch s.Key {
			case "TSM-SSH", "ntpd":
				s.Running, s.Policy = true, "on"
			}
		}
	}

	// vcsim's default OptionValue pointers are shared by all hosts (updating
	// one host would change every host); give each host its own values.
	om := simulator.Map.Get(*h.ConfigManager.AdvancedOption).(*simulator.OptionManager)
	om.Setting = []types.BaseOptionValue{
		&types.OptionValue{Key: "Config.HostAgent.log.level", Value: "info"},
		&types.OptionValue{Key: "Syslog.global.logHost", Value: "udp://10.0.0.5:514"},
	}
	for _, s := range esx.Setting {
		if o := s.GetOptionValue(); o.Key != "Config.HostAgent.log.level" {
			cp := *o
			om.Setting = append(om.Setting, &cp)
		}
	}

	if err := preloadHostNetwork(dc, h, n); err != nil {
		return info, err
	}
	return info, nil
}

// preloadHostNetwork adds the vMotion and Prod-App portgroups and the vmk1
// vMotion VMkernel NIC, and makes networkSystem.networkInfo and
// host.config.network the same object so they can never disagree.
func preloadHostNetwork(dc *simulator.Datacenter, h *simulator.HostSystem, n int) error {
	netInfo := h.Config.Network
	vswitch := findVswitch(netInfo, "vSwitch0")
	if vswitch == nil {
		return fmt.Errorf("%s has no vSwitch0", h.Name)
	}
	mac := vmotionMAC(n)
	const port = "key-vim.host.PortGroup.Port-33554440" // host-local; vmk0 uses ...436

	vmotion := newHostPortGroup(vswitch, types.HostPortGroupSpec{
		Name: vmotionPortgroup, VlanId: vmotionVlan, VswitchName: vswitch.Name, Policy: inheritPolicy(),
	})
	vmotion.Port = []types.HostPortGroupPort{{Key: port, Mac: []string{mac}, Type: "host"}}
	app := newHostPortGroup(vswitch, types.HostPortGroupSpec{
		Name: appPortgroup, VlanId: appVlan, VswitchName: vswitch.Name, Policy: inheritPolicy(),
	})
	netInfo.Portgroup = append(netInfo.Portgroup, vmotion, app)
	vswitch.Portgroup = append(vswitch.Portgroup, vmotion.Key, app.Key)

	vnic := types.HostVirtualNic{
		Device:    vmotionVnic,
		Key:       "key-vim.host.VirtualNic-" + vmotionVnic,
		Portgroup: vmotionPortgroup,
		Port:      port,
		Spec: types.HostVirtualNicSpec{
			Ip:                  &types.HostIpConfig{Dhcp: false, IpAddress: vmotionIP(n), SubnetMask: "255.255.0.0"},
			Mac:                 mac,
			Portgroup:           vmotionPortgroup,
			Mtu:                 1500,
			TsoEnabled:          types.NewBool(true),
			NetStackInstanceKey: "defaultTcpipStack",
		},
	}
	netInfo.Vnic = append(netInfo.Vnic, vnic)

	// Select vmk1 for vMotion; vcsim's template also lists a stale vmk1
	// candidate (captured from a real host) which is replaced by ours.
	if mgr := h.Config.VirtualNicManagerInfo; mgr != nil {
		for i := range mgr.NetConfig {
			nc := &mgr.NetConfig[i]
			var candidates []types.HostVirtualNic
			for _, c := range nc.CandidateVnic {
				if c.Device != vmotionVnic {
					candidates = append(candidates, c)
				}
			}
			cand := vnic
			cand.Key = nc.NicType + "." + vnic.Key
			nc.CandidateVnic = append(candidates, cand)
			if nc.NicType == string(types.HostVirtualNicManagerNicTypeVmotion) {
				nc.SelectedVnic = []string{cand.Key}
			}
		}
	}
	// The legacy (pre-4.0) single-vmknic vMotion view.
	if vm := h.Config.Vmotion; vm != nil && vm.NetConfig != nil {
		cand := vnic
		cand.Key = "VMotionConfig.vmotion." + vnic.Key
		vm.NetConfig.CandidateVnic = append(vm.NetConfig.CandidateVnic, cand)
		vm.NetConfig.SelectedVnic = cand.Key
		vm.IpConfig = vnic.Spec.Ip
	}

	ns := simulator.Map.Get(*h.ConfigManager.NetworkSystem).(*simulator.HostNetworkSystem)
	ns.NetworkInfo = netInfo
	wrapNetworkSystem(ns)

	// Attach the host to the datacenter Network entities of its VM portgroups.
	for _, name := range []string{"VM Network", appPortgroup} {
		net, err := ensureNetwork(dc, name)
		if err != nil {
			return err
		}
		attachHostNetwork(h, net)
	}
	return nil
}

// cpuFeatureMasks alternates between a no-op leaf-1 mask (as in the vSphere
// docs' examples) and the classic "hide NX/XD" mask on leaf 0x80000001.
func cpuFeatureMask(n int) []types.HostCpuIdInfo {
	if n%2 == 0 {
		return []types.HostCpuIdInfo{{Level: 1, Vendor: "intel", Ecx: "----:----:----:----:----:----:----:----"}}
	}
	return []types.HostCpuIdInfo{{Level: -2147483647, Vendor: "intel", Edx: "----:----:---0:----:----:----:----:----"}}
}

// createVMs creates -vms VMs on the host the way vcsim's Model does (pvscsi
// disk, IDE CD-ROM with a connected Atapi backing, one NIC) but with the NIC
// cycling through "VM Network", "Prod-App" and the datacenter's DVPG by a
// global VM ordinal, so every default topology has all three kinds.
func (p *preloader) createVMs(dc *simulator.Datacenter, h *simulator.HostSystem, dvpg *simulator.DistributedVirtualPortgroup) ([]vmInfo, error) {
	vms := []vmInfo{}
	if p.vmsByHost == 0 {
		return vms, nil
	}
	folder := object.NewFolder(p.client, dc.VmFolder)
	host := object.NewHostSystem(p.client, h.Self)
	pool, err := host.ResourcePool(p.ctx)
	if err != nil {
		return nil, err
	}
	var dvpgBacking types.BaseVirtualDeviceBackingInfo
	if dvpg != nil {
		dvpgBacking, err = object.NewDistributedVirtualPortgroup(p.client, dvpg.Self).EthernetCardBackingInfo(p.ctx)
		if err != nil {
			return nil, err
		}
	}

	for i := 0; i < p.vmsByHost; i++ {
		n := p.vm
		p.vm++
		name := fmt.Sprintf("%s_VM%d", h.Name, i)

		netName := []string{"VM Network", appPortgroup, ""}[n%3]
		nic := esx.EthernetCard // a copy; the template's backing pointer is replaced below
		switch {
		case netName != "":
			nic.Backing = &types.VirtualEthernetCardNetworkBackingInfo{
				VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: netName, UseAutoDetect: types.NewBool(false)},
			}
		case dvpgBacking != nil:
			nic.Backing = dvpgBacking
			netName = dvpg.Name
		default:
			nic.Backing = &types.VirtualEthernetCardNetworkBackingInfo{
				VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: "VM Network", UseAutoDetect: types.NewBool(false)},
			}
			netName = "VM Network"
		}

		config := types.VirtualMachineConfigSpec{
			Name:    name,
			GuestId: string(types.VirtualMachineGuestOsIdentifierOtherGuest),
			Files:   &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0]"},
		}
		var devices object.VirtualDeviceList
		scsi, _ := devices.CreateSCSIController("pvscsi")
		ide, _ := devices.CreateIDEController()
		cdrom, _ := devices.CreateCdrom(ide.(*types.VirtualIDEController))
		disk := devices.CreateDisk(scsi.(types.BaseVirtualController), types.ManagedObjectReference{},
			config.Files.VmPathName+" "+path.Join(name, "disk1.vmdk"))
		disk.CapacityInKB = 1024
		devices = append(devices, scsi, cdrom, disk, &nic)
		config.DeviceChange, _ = devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)

		task, err := folder.CreateVM(p.ctx, config, pool, host)
		if err != nil {
			return nil, err
		}
		res, err := task.WaitForResult(p.ctx, nil)
		if err != nil {
			return nil, err
		}
		ref := res.Result.(types.ManagedObjectReference)
		vm := simulator.Map.Get(ref).(*simulator.VirtualMachine)
		vm.Config.CpuFeatureMask = cpuFeatureMask(n)
		if _, err := object.NewVirtualMachine(p.client, ref).PowerOn(p.ctx); err != nil {
			return nil, err
		}
		vms = append(vms, vmInfo{Name: name, Moref: ref.Value, Network: netName})
	}
	return vms, nil
}

func entityName(e mo.Entity) string {
	switch x := e.(type) {
	case *mo.Network:
		return x.Name
	case *simulator.DistributedVirtualPortgroup:
		return x.Name
	case *simulator.DistributedVirtualSwitch:
		return x.Name
	case *mo.OpaqueNetwork:
		return x.Name
	}
	return e.Entity().Name
}

// renameDatastores gives the datacenter's datastores vCenter-style morefs
// ("datastore-N"). vcsim names a local datastore after its directory plus
// "@<folder>", e.g. "/tmp/govcsim-DC0-LocalDS_0-2611176426@folder-5": a
// random temporary path that differs on every launch and contains slashes.
// It runs before any VM exists, so the references to update are the
// datacenter's, the folder's, the hosts' (and their datastore systems and
// browsers') and the compute resources' lists.
//
// It also repairs what vcsim's per-host CreateLocalDatastore leaves behind
// for a datastore shared by N hosts: the folder lists it N times and only
// the last host appears in datastore.host.
func renameDatastores(dc *simulator.Datacenter) {
	renamed := map[types.ManagedObjectReference]types.ManagedObjectReference{}
	for _, old := range dc.Datastore {
		ds, ok := simulator.Map.Get(old).(*simulator.Datastore)
		if !ok || renamed[old] != (types.ManagedObjectReference{}) {
			continue
		}
		simulator.Map.Remove(old)
		ds.Self.Value = ""
		simulator.Map.NewEntity(ds)
		simulator.Map.Put(ds)
		renamed[old] = ds.Self
		if b, ok := simulator.Map.Get(ds.Browser).(*simulator.HostDatastoreBrowser); ok {
			renameRefs(b.Datastore, renamed)
		}
	}
	if len(renamed) == 0 {
		return
	}
	renameRefs(dc.Datastore, renamed)
	if f, ok := simulator.Map.Get(dc.DatastoreFolder).(*simulator.Folder); ok {
		renameRefs(f.ChildEntity, renamed)
		f.ChildEntity = uniqueRefs(f.ChildEntity)
	}
	mounts := map[types.ManagedObjectReference][]types.ManagedObjectReference{}
	for _, e := range simulator.Map.All("HostSystem") {
		h := e.(*simulator.HostSystem)
		renameRefs(h.Datastore, renamed)
		if dss, ok := simulator.Map.Get(*h.ConfigManager.DatastoreSystem).(*simulator.HostDatastoreSystem); ok {
			renameRefs(dss.Datastore, renamed)
		}
		for _, ref := range h.Datastore {
			mounts[ref] = append(mounts[ref], h.Self)
		}
	}
	for _, ref := range renamed {
		ds := simulator.Map.Get(ref).(*simulator.Datastore)
		if len(ds.Host) == 0 {
			continue
		}
		hosts := mounts[ref]
		sort.Slice(hosts, func(i, j int) bool { return hosts[i].Value < hosts[j].Value })
		template := ds.Host[0]
		ds.Host = nil
		for _, h := range hosts {
			m := template
			m.Key = h
			ds.Host = append(ds.Host, m)
		}
	}
	for _, e := range simulator.Map.All("ClusterComputeResource") {
		renameRefs(e.(*simulator.ClusterComputeResource).Datastore, renamed)
	}
	for _, e := range simulator.Map.All("ComputeResource") {
		renameRefs(e.(*mo.ComputeResource).Datastore, renamed)
	}
}

func renameRefs(list []types.ManagedObjectReference, renamed map[types.ManagedObjectReference]types.ManagedObjectReference) {
	for i, ref := range list {
		if to, ok := renamed[ref]; ok {
			list[i] = to
		}
	}
}

func uniqueRefs(list []types.ManagedObjectReference) []types.ManagedObjectReference {
	seen := map[types.ManagedObjectReference]bool{}
	out := list[:0]
	for _, ref := range list {
		if !seen[ref] {
			seen[ref] = true
			out = append(out, ref)
		}
	}
	return out
}
