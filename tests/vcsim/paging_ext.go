package main

import (
	"crypto/rand"
	"encoding/hex"
	"reflect"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

// Result paging of the PropertyCollector. vcsim 0.24.2 ignores
// RetrieveOptions.maxObjects (everything comes back in one result, without
// a token) and has no ContinueRetrievePropertiesEx or
// CancelRetrievePropertiesEx. vCenter returns at most maxObjects objects
// per result plus a token for the rest. The three requests are redirected
// here (for every PropertyCollector, including ones made with
// CreatePropertyCollector); vcsim still computes the result, we only page it.
// Without maxObjects the whole result comes back at once, as before.

type retrievePropertiesExRequest struct {
	types.RetrievePropertiesEx
	target types.ManagedObjectReference
}

func (r *retrievePropertiesExRequest) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if err := d.DecodeElement(&r.RetrievePropertiesEx, &start); err != nil {
		return err
	}
	r.target, r.This = r.This, extensionRef
	return nil
}

type continueRetrievePropertiesExRequest struct {
	types.ContinueRetrievePropertiesEx
	target types.ManagedObjectReference
}

func (r *continueRetrievePropertiesExRequest) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if err := d.DecodeElement(&r.ContinueRetrievePropertiesEx, &start); err != nil {
		return err
	}
	r.target, r.This = r.This, extensionRef
	return nil
}

type cancelRetrievePropertiesExRequest struct {
	types.CancelRetrievePropertiesEx
	target types.ManagedObjectReference
}

func (r *cancelRetrievePropertiesExRequest) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if err := d.DecodeElement(&r.CancelRetrievePropertiesEx, &start); err != nil {
		return err
	}
	r.target, r.This = r.This, extensionRef
	return nil
}

func installPagingExtensions() {
	types.Add("RetrievePropertiesEx", reflect.TypeOf(retrievePropertiesExRequest{}))
	types.Add("ContinueRetrievePropertiesEx", reflect.TypeOf(continueRetrievePropertiesExRequest{}))
	types.Add("CancelRetrievePropertiesEx", reflect.TypeOf(cancelRetrievePropertiesExRequest{}))
}

// pendingResult is what is left of a paged result.
type pendingResult struct {
	session   string
	collector types.ManagedObjectReference
	objects   []types.ObjectContent
	page      int
}

var (
	pendingMu sync.Mutex
	pending   = map[string]*pendingResult{}
)

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func sessionKey(ctx *simulator.Context) string {
	if ctx.Session == nil {
		return ""
	}
	return ctx.Session.Key
}

// nextPage cuts the first page off objects and parks the rest under a token.
func nextPage(ctx *simulator.Context, collector types.ManagedObjectReference, objects []types.ObjectContent, page int) *types.RetrieveResult {
	res := &types.RetrieveResult{Objects: objects}
	if page <= 0 || len(objects) <= page {
		return res
	}
	res.Objects = objects[:page:page]
	res.Token = newToken()
	pendingMu.Lock()
	pending[res.Token] = &pendingResult{session: sessionKey(ctx), collector: collector, objects: objects[page:], page: page}
	pendingMu.Unlock()
	return res
}

// takePending removes and returns the pending result of a token, if it belongs to this session and collector.
func takePending(ctx *simulator.Context, collector types.ManagedObjectReference, token string) *pendingResult {
	pendingMu.Lock()
	defer pendingMu.Unlock()
	p, ok := pending[token]
	if !ok || p.session != sessionKey(ctx) || p.collector != collector {
		return nil
	}
	delete(pending, token)
	return p
}

// propertyCollector finds the (per-session) collector the request was sent to.
func propertyCollector(ctx *simulator.Context, ref types.ManagedObjectReference) *simulator.PropertyCollector {
	var obj interface{}
	if ctx.Session != nil {
		obj = ctx.Session.Get(ref)
	} else {
		obj = simulator.Map.Get(ref)
	}
	pc, _ := obj.(*simulator.PropertyCollector)
	return pc
}

func (x *extensionDispatcher) RetrievePropertiesEx(ctx *simulator.Context, req *retrievePropertiesExRequest) soap.HasFault {
	pc := propertyCollector(ctx, req.target)
	if pc == nil {
		return &methods.RetrievePropertiesExBody{Fault_: simulator.Fault("", &types.ManagedObjectNotFound{Obj: req.target})}
	}
	inner := req.RetrievePropertiesEx
	inner.This = req.target
	res := pc.RetrievePropertiesEx(ctx, &inner)
	body, ok := res.(*methods.RetrievePropertiesExBody)
	if !ok || body.Fault_ != nil || body.Res == nil || body.Res.Returnval == nil {
		return res
	}
	if n := int(req.Options.MaxObjects); n > 0 {
		body.Res.Returnval = nextPage(ctx, req.target, body.Res.Returnval.Objects, n)
	}
	return body
}

func (x *extensionDispatcher) ContinueRetrievePropertiesEx(ctx *simulator.Context, req *continueRetrievePropertiesExRequest) soap.HasFault {
	body := &methods.ContinueRetrievePropertiesExBody{}
	p := takePending(ctx, req.target, req.Token)
	if p == nil {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "token"})
		return body
	}
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: *nextPage(ctx, req.target, p.objects, p.page)}
	return body
}

func (x *extensionDispatcher) CancelRetrievePropertiesEx(ctx *simulator.Context, req *cancelRetrievePropertiesExRequest) soap.HasFault {
	body := &methods.CancelRetrievePropertiesExBody{}
	if takePending(ctx, req.target, req.Token) == nil {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "token"})
		return body
	}
	body.Res = &types.CancelRetrievePropertiesExResponse{}
	return body
}
