package main

import (
	"context"
	"reflect"
	"sort"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

// Event queries. vcsim 0.24.2 keeps the last 1000 events in a ring, but when
// more events match than the page size it fills pages with the newest event
// followed by the *oldest* ones (QueryEvents with the default maxCount of 10
// returns keys [86, 9, 8, ..., 1]); its collectors can only scroll through
// that page; "children" recursion never matches (its walk() ignores plain
// references); and time, userName, eventChainId, category and type are not
// applied. QueryEvents and CreateCollectorForEvents are redirected here
// (EventManager cannot be wrapped: vcsim type-asserts *EventManager) and
// answered from vcsim's retained events with the documented semantics.

type queryEventsRequest struct {
	types.QueryEvents
	target types.ManagedObjectReference
}

func (r *queryEventsRequest) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if err := d.DecodeElement(&r.QueryEvents, &start); err != nil {
		return err
	}
	r.target, r.This = r.This, extensionRef
	return nil
}

type createCollectorForEventsRequest struct {
	types.CreateCollectorForEvents
	target types.ManagedObjectReference
}

func (r *createCollectorForEventsRequest) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if err := d.DecodeElement(&r.CreateCollectorForEvents, &start); err != nil {
		return err
	}
	r.target, r.This = r.This, extensionRef
	return nil
}

func installEventExtensions() {
	types.Add("QueryEvents", reflect.TypeOf(queryEventsRequest{}))
	types.Add("CreateCollectorForEvents", reflect.TypeOf(createCollectorForEventsRequest{}))
}

const (
	defaultPageSize = 10   // vcsim's default for QueryEvents and latestPage
	maxPageSize     = 1000 // vcsim retains 1000 events; larger pages are InvalidArgument
)

func pageSize(n int32) (int, *soap.Fault) {
	switch {
	case n == 0:
		return defaultPageSize, nil
	case n < 0 || n > maxPageSize:
		return 0, simulator.Fault("", &types.InvalidArgument{InvalidProperty: "maxCount"})
	}
	return int(n), nil
}

// retainedEvents returns every event vcsim still holds, oldest first. Asking
// vcsim's QueryEvents for its whole ring (maxCount 1000) returns all of them,
// just out of order.
func retainedEvents() []types.BaseEvent {
	em := simulator.Map.EventManager()
	ctx := &simulator.Context{Context: context.Background(), Map: simulator.Map}
	var all []types.BaseEvent
	simulator.Map.WithLock(em, func() {
		res := em.QueryEvents(ctx, &types.QueryEvents{This: em.Self, Filter: types.EventFilterSpec{MaxCount: maxPageSize}})
		if body, ok := res.(*methods.QueryEventsBody); ok && body.Res != nil {
			all = body.Res.Returnval
		}
	})
	sort.Slice(all, func(i, j int) bool { return all[i].GetEvent().Key < all[j].GetEvent().Key })
	return all
}

func checkEventManager(target types.ManagedObjectReference) *soap.Fault {
	em := simulator.Map.EventManager()
	if target != em.Self {
		return simulator.Fault("", &types.ManagedObjectNotFound{Obj: target})
	}
	if simulator.Map.IsESX() {
		return simulator.Fault("", &types.NotImplemented{})
	}
	return nil
}

// QueryEvents returns the newest maxCount (default 10) matching events,
// newest first (vcsim's order).
func (x *extensionDispatcher) QueryEvents(ctx *simulator.Context, req *queryEventsRequest) soap.HasFault {
	body := &methods.QueryEventsBody{}
	if body.Fault_ = checkEventManager(req.target); body.Fault_ != nil {
		return body
	}
	size, f := pageSize(req.Filter.MaxCount)
	if f != nil {
		body.Fault_ = f
		return body
	}
	filter := newEventFilter(req.Filter)
	body.Res = &types.QueryEventsResponse{Returnval: filter.latest(retainedEvents(), size)}
	return body
}

// CreateCollectorForEvents creates a per-session collector (see eventCollector).
func (x *extensionDispatcher) CreateCollectorForEvents(ctx *simulator.Context, req *createCollectorForEventsRequest) soap.HasFault {
	body := &methods.CreateCollectorForEventsBody{}
	if body.Fault_ = checkEventManager(req.target); body.Fault_ != nil {
		return body
	}
	size, f := pageSize(req.Filter.MaxCount)
	if f != nil {
		body.Fault_ = f
		return body
	}
	c := &eventCollector{filter: newEventFilter(req.Filter), pageSize: size}
	c.Self.Type = "EventHistoryCollector"
	c.Filter = req.Filter
	ref := ctx.Session.Put(c).Reference()
	body.Res = &types.CreateCollectorForEventsResponse{Returnval: ref}
	return body
}

// eventCollector implements EventHistoryCollector as the vSphere API
// reference describes HistoryCollector: the collector holds every retained
// event matching its filter, ordered by creation; the scrollable view starts
// at the oldest item; ReadNextEvents returns the next items oldest to newest
// and moves forward; ReadPreviousEvents returns the items before the
// position, nearest first, and moves back; RewindCollector goes to the
// oldest item; ResetCollector to just before the latest page. Events posted
// after creation join the collector. latestPage holds the newest pageSize
// matching events, newest first, computed when read (so WaitForUpdatesEx
// does not report latestPage changes for these collectors).
type eventCollector struct {
	mo.EventHistoryCollector

	filter   *eventFilter
	pageSize int
	// boundary is the scroll position: events with key <= boundary are
	// before it. Keys only grow, so the position survives new events.
	boundary int32
}

func (c *eventCollector) events() []types.BaseEvent { return c.filter.all(retainedEvents()) }

// Get is what vcsim's PropertyCollector reads (latestPage, filter).
func (c *eventCollector) Get() mo.Reference {
	clone := c.EventHistoryCollector
	clone.LatestPage = c.filter.latest(retainedEvents(), c.pageSize)
	return &clone
}

func invalidMaxCount() *soap.Fault {
	return simulator.Fault("", &types.InvalidArgument{InvalidProperty: "maxCount"})
}

func (c *eventCollector) ReadNextEvents(ctx *simulator.Context, req *types.ReadNextEvents) soap.HasFault {
	body := &methods.ReadNextEventsBody{}
	if req.MaxCount <= 0 {
		body.Fault_ = invalidMaxCount()
		return body
	}
	body.Res = &types.ReadNextEventsResponse{}
	for _, e := range c.events() {
		if len(body.Res.Returnval) == int(req.MaxCount) {
			break
		}
		if e.GetEvent().Key > c.boundary {
			body.Res.Returnval = append(body.Res.Returnval, e)
		}
	}
	if n := len(body.Res.Returnval); n > 0 {
		c.boundary = body.Res.Returnval[n-1].GetEvent().Key
	}
	return body
}

func (c *eventCollector) ReadPreviousEvents(ctx *simulator.Context, req *types.ReadPreviousEvents) soap.HasFault {
	body := &methods.ReadPreviousEventsBody{}
	if req.MaxCount <= 0 {
		body.Fault_ = invalidMaxCount()
		return body
	}
	body.Res = &types.ReadPreviousEventsResponse{}
	events := c.events()
	for i := len(events) - 1; i >= 0 && len(body.Res.Returnval) < int(req.MaxCount); i-- {
		if events[i].GetEvent().Key <= c.boundary {
			body.Res.Returnval = append(body.Res.Returnval, events[i])
		}
	}
	if n := len(body.Res.Returnval); n > 0 {
		c.boundary = body.Res.Returnval[n-1].GetEvent().Key - 1
	}
	return body
}

func (c *eventCollector) RewindCollector(ctx *simulator.Context, req *types.RewindCollector) soap.HasFault {
	c.boundary = 0
	return &methods.RewindCollectorBody{Res: new(types.RewindCollectorResponse)}
}

func (c *eventCollector) ResetCollector(ctx *simulator.Context, req *types.ResetCollector) soap.HasFault {
	latest := c.filter.latest(retainedEvents(), c.pageSize)
	c.boundary = 0
	if n := len(latest); n > 0 {
		c.boundary = latest[n-1].GetEvent().Key - 1 // latest is newest first
	}
	return &methods.ResetCollectorBody{Res: new(types.ResetCollectorResponse)}
}

func (c *eventCollector) SetCollectorPageSize(ctx *simulator.Context, req *types.SetCollectorPageSize) soap.HasFault {
	body := &methods.SetCollectorPageSizeBody{}
	size, f := pageSize(req.MaxCount)
	if f != nil {
		body.Fault_ = f
		return body
	}
	c.pageSize = size
	body.Res = new(types.SetCollectorPageSizeResponse)
	return body
}

func (c *eventCollector) DestroyCollector(ctx *simulator.Context, req *types.DestroyCollector) soap.HasFault {
	ctx.Session.Remove(req.This)
	return &methods.DestroyCollectorBody{Res: new(types.DestroyCollectorResponse)}
}

// eventFilter applies an EventFilterSpec: entity (self, children, all),
// time (inclusive bounds on createdTime), userName (userList; systemUser
// matches events without a user), eventChainId, category, type and
// eventTypeId (class names including base classes such as VmEvent, as vcsim
// does, plus the eventTypeId of EventEx/ExtendedEvent). alarm,
// scheduledTask and tag are not applied.
type eventFilter struct {
	spec       types.EventFilterSpec
	categories map[string]string
}

func newEventFilter(spec types.EventFilterSpec) *eventFilter {
	f := &eventFilter{spec: spec, categories: map[string]string{}}
	if len(spec.Category) > 0 {
		for _, info := range simulator.Map.EventManager().Description.EventInfo {
			f.categories[info.Key] = info.Category
		}
	}
	return f
}

// all returns the matching events oldest first.
func (f *eventFilter) all(events []types.BaseEvent) []types.BaseEvent {
	var out []types.BaseEvent
	for _, e := range events {
		if f.matches(e) {
			out = append(out, e)
		}
	}
	return out
}

// latest returns the newest n matching events, newest first.
func (f *eventFilter) latest(events []types.BaseEvent, n int) []types.BaseEvent {
	var out []types.BaseEvent
	for i := len(events) - 1; i >= 0 && len(out) < n; i-- {
		if f.matches(events[i]) {
			out = append(out, events[i])
		}
	}
	return out
}

func eventTypeName(e types.BaseEvent) string { return reflect.ValueOf(e).Elem().Type().Name() }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (f *eventFilter) matches(be types.BaseEvent) bool {
	e := be.GetEvent()
	s := &f.spec
	if t := s.Time; t != nil {
		if t.BeginTime != nil && e.CreatedTime.Before(*t.BeginTime) {
			return false
		}
		if t.EndTime != nil && e.CreatedTime.After(*t.EndTime) {
			return false
		}
	}
	if u := s.UserName; u != nil {
		if !(u.SystemUser && e.UserName == "") && !contains(u.UserList, e.UserName) {
			return false
		}
	}
	if s.EventChainId != 0 && e.ChainId != s.EventChainId {
		return false
	}
	if len(s.Category) > 0 {
		cat, ok := f.categories[eventTypeName(be)]
		if !ok {
			cat = "info"
		}
		if ex, isEx := be.(*types.EventEx); isEx && ex.Severity != "" {
			cat = ex.Severity
		}
		if !contains(s.Category, cat) {
			return false
		}
	}
	if len(s.Type) > 0 && !typeMatches(be, s.Type) {
		return false
	}
	if len(s.EventTypeId) > 0 && !typeMatches(be, s.EventTypeId) {
		return false
	}
	return f.entityMatches(e)
}

// typeMatches: the concrete class, any base class embedded in it, or the
// eventTypeId of an EventEx / ExtendedEvent.
func typeMatches(be types.BaseEvent, ids []string) bool {
	switch x := be.(type) {
	case *types.EventEx:
		if contains(ids, x.EventTypeId) {
			return true
		}
	case *types.ExtendedEvent:
		if contains(ids, x.EventTypeId) {
			return true
		}
	}
	t := reflect.ValueOf(be).Elem().Type()
	if contains(ids, t.Name()) {
		return true
	}
	for {
		if t.Kind() != reflect.Struct || t.NumField() == 0 || !t.Field(0).Anonymous {
			return false
		}
		t = t.Field(0).Type
		if contains(ids, t.Name()) {
			return true
		}
	}
}

// eventEntities lists the entity arguments of an event.
func eventEntities(e *types.Event) []types.ManagedObjectReference {
	var refs []types.ManagedObjectReference
	if e.Vm != nil {
		refs = append(refs, e.Vm.Vm)
	}
	if e.Host != nil {
		refs = append(refs, e.Host.Host)
	}
	if e.ComputeResource != nil {
		refs = append(refs, e.ComputeResource.ComputeResource)
	}
	if e.Ds != nil {
		refs = append(refs, e.Ds.Datastore)
	}
	if e.Net != nil {
		refs = append(refs, e.Net.Network)
	}
	if e.Dvs != nil {
		refs = append(refs, e.Dvs.Dvs)
	}
	if e.Datacenter != nil {
		refs = append(refs, e.Datacenter.Datacenter)
	}
	return refs
}

// isDescendant reports whether ref sits below root in the inventory: by the
// parent chain, and for VMs also through their resource pool and host.
func isDescendant(ref, root types.ManagedObjectReference) bool {
	seen := map[types.ManagedObjectReference]bool{}
	queue := []types.ManagedObjectReference{ref}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if seen[cur] {
			continue
		}
		seen[cur] = true
		if cur != ref && cur == root {
			return true
		}
		obj := simulator.Map.Get(cur)
		if obj == nil {
			continue
		}
		if vm, ok := obj.(*simulator.VirtualMachine); ok {
			if vm.ResourcePool != nil {
				queue = append(queue, *vm.ResourcePool)
			}
			if vm.Runtime.Host != nil {
				queue = append(queue, *vm.Runtime.Host)
			}
		}
		if e, ok := obj.(mo.Entity); ok && e.Entity().Parent != nil {
			queue = append(queue, *e.Entity().Parent)
		}
	}
	return false
}

func (f *eventFilter) entityMatches(e *types.Event) bool {
	spec := f.spec.Entity
	if spec == nil {
		return true
	}
	root := spec.Entity
	isRoot := root == simulator.Map.Get(serviceInstanceRef).(*simulator.ServiceInstance).Content.RootFolder
	self, children := false, false
	for _, ref := range eventEntities(e) {
		if ref == root {
			self = true
		} else if isRoot || isDescendant(ref, root) {
			children = true
		}
	}
	switch types.EventFilterSpecRecursionOption(spec.Recursion) {
	case types.EventFilterSpecRecursionOptionSelf:
		return self
	case types.EventFilterSpecRecursionOptionChildren:
		return children
	default: // "all" (and unset, which vCenter treats as all)
		return self || children || (isRoot && len(eventEntities(e)) == 0)
	}
}
