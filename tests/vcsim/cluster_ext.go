package main

import (
	"fmt"
	"reflect"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

// Why clusters are not wrapped like the network systems: vcsim type-asserts
// *simulator.ClusterComputeResource in many places (hostParent, which every
// VM and host event calls; VM placement; the environment browser; the
// search index). A wrapper in the registry makes those return nil and the
// next VM event panics. So the registry keeps vcsim's cluster object and
// only the SOAP request is redirected:
//
// vcsim decodes a request body by looking the element name up in the vim25
// type registry (types.TypeFunc) and then dispatches on the decoded _this.
// Registering our own type for "ReconfigureComputeResource_Task" lets its
// UnmarshalXML remember the real target and point _this at the
// extensionDispatcher below. vcsim still does everything else as usual:
// session check, locking of the handler, fault and response encoding.

var extensionRef = types.ManagedObjectReference{Type: "DriftguardExtension", Value: "driftguard-extension"}

// extensionDispatcher receives redirected calls. It embeds an mo type first
// so vcsim's PropertyCollector could read it like any managed object.
type extensionDispatcher struct {
	mo.ExtensibleManagedObject
}

// Lock and Unlock make vcsim's dispatcher skip locking this object (it
// locks the handler of every call, see Registry.WithLock): redirected calls
// must not all wait on each other. Each method locks what it touches.
func (x *extensionDispatcher) Lock()   {}
func (x *extensionDispatcher) Unlock() {}

// reconfigureComputeResourceRequest decodes exactly like the vim25 request.
type reconfigureComputeResourceRequest struct {
	types.ReconfigureComputeResource_Task
	target types.ManagedObjectReference
}

func (r *reconfigureComputeResourceRequest) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if err := d.DecodeElement(&r.ReconfigureComputeResource_Task, &start); err != nil {
		return err
	}
	r.target, r.This = r.This, extensionRef
	return nil
}

func installExtensions() {
	simulator.Map.Put(&extensionDispatcher{mo.ExtensibleManagedObject{Self: extensionRef}})
	types.Add("ReconfigureComputeResource_Task", reflect.TypeOf(reconfigureComputeResourceRequest{}))
	installEventExtensions()
	installPagingExtensions()
	installUnknownEventExtension()
}

// ReconfigureComputeResourceTask handles ReconfigureComputeResource_Task for
// clusters; other targets get what vcsim would answer.
func (x *extensionDispatcher) ReconfigureComputeResourceTask(ctx *simulator.Context, req *reconfigureComputeResourceRequest) soap.HasFault {
	body := &methods.ReconfigureComputeResource_TaskBody{}
	obj := simulator.Map.Get(req.target)
	cluster, ok := obj.(*simulator.ClusterComputeResource)
	switch {
	case obj == nil:
		body.Fault_ = simulator.Fault(fmt.Sprintf("managed object not found: %s", req.target),
			&types.ManagedObjectNotFound{Obj: req.target})
		return body
	case !ok:
		body.Fault_ = simulator.Fault(fmt.Sprintf("%s does not implement: ReconfigureComputeResource_Task", req.target),
			&types.MethodNotFound{Receiver: req.target, Method: "ReconfigureComputeResource_Task"})
		return body
	}
	inner := req.ReconfigureComputeResource_Task
	inner.This = req.target
	var task types.ManagedObjectReference
	simulator.Map.WithLock(cluster, func() {
		task = reconfigureCluster(ctx, cluster, &inner)
	})
	body.Res = &types.ReconfigureComputeResource_TaskResponse{Returnval: task}
	return body
}

// reconfigureCluster applies dasConfig, drsConfig, dpmConfig and
// vmSwapPlacement (which vcsim ignores), lets vcsim's own handler apply
// rules, groups and per-VM overrides (so its behaviour is kept), and then
// posts the events vCenter posts. Validation happens before anything is
// changed; if vcsim's part fails, our part is rolled back.
func reconfigureCluster(ctx *simulator.Context, c *simulator.ClusterComputeResource, req *types.ReconfigureComputeResource_Task) types.ManagedObjectReference {
	cfg := c.ConfigurationEx.(*types.ClusterConfigInfoEx)
	spec, ok := req.Spec.(*types.ClusterConfigSpecEx)
	if !ok {
		// vcsim answers a task failing with InvalidArgument; keep that.
		res := c.ReconfigureComputeResourceTask(req).(*methods.ReconfigureComputeResource_TaskBody)
		patchTask(ctx, c, res.Res.Returnval, 0)
		return res.Res.Returnval
	}

	var before types.ClusterConfigInfoEx
	deepCopy(cfg, &before)
	next, invalid := nextClusterConfig(&before, spec, req.Modify)
	if invalid != nil {
		task := simulator.CreateTask(c, "reconfigureEx", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
			return nil, invalid
		})
		patchTask(ctx, c, task.Self, 0)
		return task.Run()
	}

	cfg.DasConfig, cfg.DrsConfig, cfg.DpmConfigInfo = next.DasConfig, next.DrsConfig, next.DpmConfigInfo
	cfg.VmSwapPlacement = next.VmSwapPlacement

	res := c.ReconfigureComputeResourceTask(req).(*methods.ReconfigureComputeResource_TaskBody)
	ref := res.Res.Returnval
	task := simulator.Map.Get(ref).(*simulator.Task)
	if task.Info.State != types.TaskInfoStateSuccess {
		cfg.DasConfig, cfg.DrsConfig, cfg.DpmConfigInfo = before.DasConfig, before.DrsConfig, before.DpmConfigInfo
		cfg.VmSwapPlacement = before.VmSwapPlacement
		patchTask(ctx, c, ref, 0)
		return ref
	}

	changes := diffConfig("configurationEx", &before, cfg)
	chain := postClusterEvents(ctx, c, &before, cfg, changes)
	patchTask(ctx, c, ref, chain)
	simulator.Map.Update(c, []types.PropertyChange{{Name: "configurationEx", Val: cfg}})
	return ref
}

// nextClusterConfig computes the das/drs/dpm/swap part of the new
// configuration from a copy of the current one.
//
//   - modify=true: fields set in the spec overwrite, unset fields keep their
//     value, nested objects merge, option arrays merge by key and an option
//     with an empty value removes the key (see mergeSet).
//   - modify=false: per the API reference the configuration then "matches the
//     specification exactly"; a section the spec leaves unset is reset to
//     its empty default (dasConfig {}, drsConfig {}, no dpmConfigInfo).
//     vcsim's own handling of rules/groups/overrides ignores modify.
func nextClusterConfig(cur *types.ClusterConfigInfoEx, spec0 *types.ClusterConfigSpecEx, modify bool) (*types.ClusterConfigInfoEx, types.BaseMethodFault) {
	var next types.ClusterConfigInfoEx
	deepCopy(cur, &next)
	var spec types.ClusterConfigSpecEx
	deepCopy(spec0, &spec) // merging moves values out of the spec

	if modify {
		if spec.DasConfig != nil {
			if err := mergeSet(&next.DasConfig, spec.DasConfig, mergeOptions{}); err != nil {
				return nil, &types.InvalidArgument{InvalidProperty: "dasConfig.option"}
			}
		}
		if spec.DrsConfig != nil {
			if err := mergeSet(&next.DrsConfig, spec.DrsConfig, mergeOptions{}); err != nil {
				return nil, &types.InvalidArgument{InvalidProperty: "drsConfig.option"}
			}
		}
		if spec.DpmConfig != nil {
			if next.DpmConfigInfo == nil {
				next.DpmConfigInfo = &types.ClusterDpmConfigInfo{}
			}
			if err := mergeSet(next.DpmConfigInfo, spec.DpmConfig, mergeOptions{}); err != nil {
				return nil, &types.InvalidArgument{InvalidProperty: "dpmConfig.option"}
			}
		}
		if spec.VmSwapPlacement != "" {
			next.VmSwapPlacement = spec.VmSwapPlacement
		}
	} else {
		next.DasConfig = types.ClusterDasConfigInfo{}
		if spec.DasConfig != nil {
			next.DasConfig = *spec.DasConfig
			next.DasConfig.Option = dropEmptyOptions(next.DasConfig.Option)
		}
		next.DrsConfig = types.ClusterDrsConfigInfo{}
		if spec.DrsConfig != nil {
			next.DrsConfig = *spec.DrsConfig
			next.DrsConfig.Option = dropEmptyOptions(next.DrsConfig.Option)
		}
		next.DpmConfigInfo = spec.DpmConfig
		if next.DpmConfigInfo != nil {
			next.DpmConfigInfo.Option = dropEmptyOptions(next.DpmConfigInfo.Option)
		}
		next.VmSwapPlacement = spec.VmSwapPlacement
		if next.VmSwapPlacement == "" {
			next.VmSwapPlacement = string(types.VirtualMachineConfigInfoSwapPlacementTypeVmDirectory)
		}
	}
	if f := validateClusterConfig(&next); f != nil {
		return nil, f
	}
	return &next, nil
}

func oneOf(v string, allowed ...string) bool {
	if v == "" {
		return true
	}
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// validateClusterConfig rejects values outside the enumerations and ranges
// of the vSphere API reference with InvalidArgument naming the property.
func validateClusterConfig(c *types.ClusterConfigInfoEx) types.BaseMethodFault {
	bad := func(p string) types.BaseMethodFault { return &types.InvalidArgument{InvalidProperty: p} }
	das, drs := &c.DasConfig, &c.DrsConfig
	if !oneOf(das.HostMonitoring, "enabled", "disabled") {
		return bad("dasConfig.hostMonitoring")
	}
	if !oneOf(das.VmMonitoring, "vmMonitoringDisabled", "vmMonitoringOnly", "vmAndAppMonitoring") {
		return bad("dasConfig.vmMonitoring")
	}
	if p, ok := das.AdmissionControlPolicy.(*types.ClusterFailoverLevelAdmissionControlPolicy); ok && p.FailoverLevel < 1 {
		return bad("dasConfig.admissionControlPolicy.failoverLevel")
	}
	if s := das.DefaultVmSettings; s != nil {
		if !oneOf(s.RestartPriority, "disabled", "lowest", "low", "medium", "high", "highest", "clusterRestartPriority") {
			return bad("dasConfig.defaultVmSettings.restartPriority")
		}
		if !oneOf(s.IsolationResponse, "none", "powerOff", "shutdown", "clusterIsolationResponse") {
			return bad("dasConfig.defaultVmSettings.isolationResponse")
		}
	}
	if !oneOf(string(drs.DefaultVmBehavior), "manual", "partiallyAutomated", "fullyAutomated") {
		return bad("drsConfig.defaultVmBehavior")
	}
	if drs.VmotionRate < 0 || drs.VmotionRate > 5 {
		return bad("drsConfig.vmotionRate")
	}
	if dpm := c.DpmConfigInfo; dpm != nil {
		if !oneOf(string(dpm.DefaultDpmBehavior), "manual", "automated") {
			return bad("dpmConfig.defaultDpmBehavior")
		}
		if dpm.HostPowerActionRate < 0 || dpm.HostPowerActionRate > 5 {
			return bad("dpmConfig.hostPowerActionRate")
		}
	}
	return nil
}

func clusterDatacenter(c *simulator.ClusterComputeResource) *simulator.Datacenter {
	ref := c.Parent
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

func boolValue(b *bool) bool { return b != nil && *b }

// postClusterEvents posts ClusterReconfiguredEvent with configChanges (API
// 6.5) and, for the switches that flipped, DasEnabled/DasDisabled,
// DasAdmissionControlEnabled/Disabled and DrsEnabled/DrsDisabled events, all
// in one event chain whose id is the ClusterReconfiguredEvent's key (as
// vCenter ties a task's events together through TaskInfo.eventChainId).
// userName comes from the calling session (EventManager.PostEvent).
func postClusterEvents(ctx *simulator.Context, c *simulator.ClusterComputeResource, before, after *types.ClusterConfigInfoEx, changes *changeSet) int32 {
	base := types.ClusterEvent{Event: types.Event{
		ComputeResource: &types.ComputeResourceEventArgument{
			ComputeResource:     c.Self,
			EntityEventArgument: types.EntityEventArgument{Name: c.Name},
		},
	}}
	dcName := ""
	if dc := clusterDatacenter(c); dc != nil {
		dcName = dc.Name
		base.Datacenter = &types.DatacenterEventArgument{
			Datacenter:          dc.Self,
			EntityEventArgument: types.EntityEventArgument{Name: dc.Name},
		}
	}
	reconfigured := &types.ClusterReconfiguredEvent{ClusterEvent: base, ConfigChanges: changes.argument()}
	reconfigured.FullFormattedMessage = fmt.Sprintf("Reconfigured cluster %s in datacenter %s.", c.Name, dcName) + changes.message()
	events := []types.BaseEvent{reconfigured}

	flip := func(was, is *bool, on, off types.BaseEvent) {
		switch {
		case !boolValue(was) && boolValue(is):
			events = append(events, on)
		case boolValue(was) && !boolValue(is):
			events = append(events, off)
		}
	}
	msg := func(e types.BaseEvent, format string) types.BaseEvent {
		e.GetEvent().FullFormattedMessage = fmt.Sprintf(format, c.Name, dcName)
		return e
	}
	flip(before.DasConfig.Enabled, after.DasConfig.Enabled,
		msg(&types.DasEnabledEvent{ClusterEvent: base}, "vSphere HA enabled on cluster %s in %s"),
		msg(&types.DasDisabledEvent{ClusterEvent: base}, "vSphere HA disabled on cluster %s in %s"))
	flip(before.DasConfig.AdmissionControlEnabled, after.DasConfig.AdmissionControlEnabled,
		msg(&types.DasAdmissionControlEnabledEvent{ClusterEvent: base}, "vSphere HA admission control enabled for cluster %s in %s"),
		msg(&types.DasAdmissionControlDisabledEvent{ClusterEvent: base}, "vSphere HA admission control disabled for cluster %s in %s"))
	flip(before.DrsConfig.Enabled, after.DrsConfig.Enabled,
		msg(&types.DrsEnabledEvent{ClusterEvent: base, Behavior: string(after.DrsConfig.DefaultVmBehavior)}, "Enabled DRS on %s in %s"),
		msg(&types.DrsDisabledEvent{ClusterEvent: base}, "Disabled DRS on %s in %s"))

	em := simulator.Map.EventManager()
	var chain int32
	ctx.WithLock(em, func() {
		for i, e := range events {
			em.PostEvent(ctx, &types.PostEvent{EventToPost: e})
			if i == 0 {
				chain = e.GetEvent().Key
			}
			e.GetEvent().ChainId = chain // PostEvent sets chainId = key
		}
	})
	return chain
}

// patchTask makes the task vcsim created look like vCenter's: real method
// and descriptionId, the calling user as reason, the cluster's name, and the
// event chain of the events it produced.
func patchTask(ctx *simulator.Context, c *simulator.ClusterComputeResource, ref types.ManagedObjectReference, chain int32) {
	task, ok := simulator.Map.Get(ref).(*simulator.Task)
	if !ok {
		return
	}
	simulator.Map.WithLock(task, func() {
		task.Info.Name = "ReconfigureComputeResource_Task"
		task.Info.DescriptionId = "ClusterComputeResource.reconfigureEx"
		task.Info.EntityName = c.Name
		if ctx.Session != nil {
			task.Info.Reason = &types.TaskReasonUser{UserName: ctx.Session.UserName}
		}
		task.Info.EventChainId = chain
	})
}
