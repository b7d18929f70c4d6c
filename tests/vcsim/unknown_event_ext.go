package main

import (
	"reflect"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

// Events of a type the client does not know (issue 9, point 7). A newer
// vCenter, or a plugin posting its own EventEx subclass, sends event classes
// that are not in the client's WSDL; pyVmomi's deserialiser then fails the
// whole history page (pyVmomi issues #746, #872, #1016). PostEvent of an
// EventEx whose eventTypeId starts with unknownTypePrefix posts the same event
// as a DriftguardPluginEvent: serialised with
// xsi:type="DriftguardPluginEvent" and one element of its own,
// pluginDetail (the rest of the eventTypeId). Every other PostEvent is
// vcsim's.

const unknownTypePrefix = "driftguard.unknown-type:"

// DriftguardPluginEvent is an EventEx subclass no vSphere WSDL declares.
type DriftguardPluginEvent struct {
	types.EventEx

	PluginDetail string `xml:"pluginDetail,omitempty"`
}

type postEventRequest struct {
	types.PostEvent
	target types.ManagedObjectReference
}

func (r *postEventRequest) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if err := d.DecodeElement(&r.PostEvent, &start); err != nil {
		return err
	}
	r.target, r.This = r.This, extensionRef
	return nil
}

func installUnknownEventExtension() {
	types.Add("PostEvent", reflect.TypeOf(postEventRequest{}))
}

// PostEvent posts the event to vcsim's EventManager, as a DriftguardPluginEvent
// when asked to (see above).
func (x *extensionDispatcher) PostEvent(ctx *simulator.Context, req *postEventRequest) soap.HasFault {
	if f := checkEventManager(req.target); f != nil {
		return &methods.PostEventBody{Fault_: f}
	}
	em := simulator.Map.EventManager()
	event := req.EventToPost
	if ex, ok := event.(*types.EventEx); ok && strings.HasPrefix(ex.EventTypeId, unknownTypePrefix) {
		event = &DriftguardPluginEvent{EventEx: *ex, PluginDetail: strings.TrimPrefix(ex.EventTypeId, unknownTypePrefix)}
	}
	var res soap.HasFault
	ctx.WithLock(em, func() {
		res = em.PostEvent(ctx, &types.PostEvent{This: em.Self, EventToPost: event, TaskInfo: req.TaskInfo})
	})
	return res
}
