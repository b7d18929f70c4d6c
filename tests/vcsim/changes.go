package main

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/vmware/govmomi/vim25/types"
)

// changeSet collects differences between two configurations in the text
// form vCenter (6.5+) uses for ChangesInfoEventArgument and for the
// "Modified: / Added: / Deleted:" part of reconfiguration event messages.
// From published vCenter messages:
//
//	config.hardware.device(4000).backing.port.portgroupKey: "dvportgroup-1006" -> "dvportgroup-8004";
//	config.extraConfig("nvram").value: "a.nvram" -> "b.nvram";
//	config.extraConfig("scsi0:1.redo"): (key = "scsi0:1.redo", value = "");   (under Added)
//	config.keyId: <unset> -> (keyId = "...", providerId = (id = "KMS"));
//
// Each entry is "<path>: <old> -> <new>" (Added/Deleted: "<path>: <value>"),
// terminated by "; \n\n" as in vCenter's messages, so every change sits on a
// line of its own. Paths use the vSphere property names; array elements are
// addressed by their key in parentheses (quoted when a string).
type changeSet struct {
	modified, added, deleted []string
}

func (c *changeSet) empty() bool {
	return len(c.modified)+len(c.added)+len(c.deleted) == 0
}

func joinChanges(entries []string) string {
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e)
		b.WriteString("; \n\n")
	}
	return b.String()
}

func (c *changeSet) argument() *types.ChangesInfoEventArgument {
	return &types.ChangesInfoEventArgument{
		Modified: joinChanges(c.modified),
		Added:    joinChanges(c.added),
		Deleted:  joinChanges(c.deleted),
	}
}

// message renders the tail vCenter appends to a reconfiguration event's
// fullFormattedMessage.
func (c *changeSet) message() string {
	return "  \n \nModified:  \n \n" + joinChanges(c.modified) +
		" Added:  \n \n" + joinChanges(c.added) +
		" Deleted:  \n \n" + joinChanges(c.deleted)
}

// diffConfig compares two values of the same type below the property path.
func diffConfig(path string, old, new interface{}) *changeSet {
	c := &changeSet{}
	c.diff(path, reflect.ValueOf(old), reflect.ValueOf(new))
	return c
}

var morefType = reflect.TypeOf(types.ManagedObjectReference{})

// indirect follows pointers and interfaces; ok is false for nil.
func indirect(v reflect.Value) (reflect.Value, bool) {
	for v.IsValid() && (v.Kind() == reflect.Ptr || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}, false
		}
		v = v.Elem()
	}
	return v, v.IsValid()
}

func xmlName(f reflect.StructField) string {
	name := strings.Split(f.Tag.Get("xml"), ",")[0]
	if name == "" {
		name = strings.ToLower(f.Name[:1]) + f.Name[1:]
	}
	return name
}

func (c *changeSet) diff(path string, a, b reflect.Value) {
	av, aok := indirect(a)
	bv, bok := indirect(b)
	switch {
	case !aok && !bok:
		return
	case !aok || !bok || av.Type() != bv.Type():
		c.modified = append(c.modified, fmt.Sprintf("%s: %s -> %s", path, render(a), render(b)))
		return
	}
	switch {
	case av.Type() == morefType:
		if av.Interface() != bv.Interface() {
			c.modified = append(c.modified, fmt.Sprintf("%s: %s -> %s", path, render(av), render(bv)))
		}
	case av.Kind() == reflect.Struct:
		c.diffStruct(path, av, bv)
	case av.Kind() == reflect.Slice:
		c.diffSlice(path, av, bv)
	default:
		if av.Interface() != bv.Interface() {
			c.modified = append(c.modified, fmt.Sprintf("%s: %s -> %s", path, render(av), render(bv)))
		}
	}
}

func (c *changeSet) diffStruct(path string, a, b reflect.Value) {
	for i := 0; i < a.NumField(); i++ {
		f := a.Type().Field(i)
		if f.Type == dynamicDataType || f.PkgPath != "" {
			continue
		}
		if f.Anonymous {
			c.diffStruct(path, a.Field(i), b.Field(i)) // embedded base type: same path
			continue
		}
		c.diff(path+"."+xmlName(f), a.Field(i), b.Field(i))
	}
}

// elementKey returns how vCenter addresses an array element: by its "key"
// (options, rules, devices, per-VM overrides) or, for DRS groups, its name.
func elementKey(v reflect.Value) (string, bool) {
	e, ok := indirect(v)
	if !ok || e.Kind() != reflect.Struct {
		return "", false
	}
	for _, name := range []string{"Key", "Name"} {
		if f := e.FieldByName(name); f.IsValid() {
			return renderKey(f), true
		}
	}
	return "", false
}

func renderKey(v reflect.Value) string {
	if v.Type() == morefType {
		return render(v)
	}
	if v.Kind() == reflect.String {
		return fmt.Sprintf("%q", v.String())
	}
	return fmt.Sprint(v.Interface())
}

func (c *changeSet) diffSlice(path string, a, b reflect.Value) {
	keyed := a.Len() > 0 || b.Len() > 0
	for _, s := range []reflect.Value{a, b} {
		for i := 0; i < s.Len(); i++ {
			if _, ok := elementKey(s.Index(i)); !ok {
				keyed = false
			}
		}
	}
	if !keyed {
		if a.Len() == 0 && b.Len() == 0 {
			return
		}
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			c.modified = append(c.modified, fmt.Sprintf("%s: %s -> %s", path, render(a), render(b)))
		}
		return
	}
	index := func(s reflect.Value) map[string]reflect.Value {
		m := make(map[string]reflect.Value, s.Len())
		for i := 0; i < s.Len(); i++ {
			k, _ := elementKey(s.Index(i))
			m[k] = s.Index(i)
		}
		return m
	}
	am, bm := index(a), index(b)
	for i := 0; i < a.Len(); i++ {
		k, _ := elementKey(a.Index(i))
		elem := fmt.Sprintf("%s(%s)", path, k)
		if bv, ok := bm[k]; ok {
			c.diff(elem, a.Index(i), bv)
		} else {
			c.deleted = append(c.deleted, fmt.Sprintf("%s: %s", elem, render(a.Index(i))))
		}
	}
	for i := 0; i < b.Len(); i++ {
		k, _ := elementKey(b.Index(i))
		if _, ok := am[k]; !ok {
			c.added = append(c.added, fmt.Sprintf("%s(%s): %s", path, k, render(b.Index(i))))
		}
	}
}

// render formats a value the way vCenter's change descriptions do: strings
// quoted, numbers and booleans bare, unset as <unset>, data objects as
// (field = value, ...) with only their set fields, arrays as (a, b),
// managed object references as 'vim.Type:moid'.
func render(v reflect.Value) string {
	e, ok := indirect(v)
	if !ok {
		return "<unset>"
	}
	switch {
	case e.Type() == morefType:
		ref := e.Interface().(types.ManagedObjectReference)
		return fmt.Sprintf("'vim.%s:%s'", ref.Type, ref.Value)
	case e.Kind() == reflect.String:
		return fmt.Sprintf("%q", e.String())
	case e.Kind() == reflect.Slice:
		parts := make([]string, e.Len())
		for i := range parts {
			parts[i] = render(e.Index(i))
		}
		return "(" + strings.Join(parts, ", ") + ")"
	case e.Kind() == reflect.Struct:
		var parts []string
		renderFields(e, &parts)
		return "(" + strings.Join(parts, ", ") + ")"
	default:
		return fmt.Sprint(e.Interface())
	}
}

func renderFields(e reflect.Value, parts *[]string) {
	for i := 0; i < e.NumField(); i++ {
		f := e.Type().Field(i)
		if f.Type == dynamicDataType || f.PkgPath != "" {
			continue
		}
		if f.Anonymous {
			renderFields(e.Field(i), parts)
			continue
		}
		fv := e.Field(i)
		if !isSet(fv) || (fv.Kind() == reflect.Slice && fv.Len() == 0) {
			continue
		}
		*parts = append(*parts, fmt.Sprintf("%s = %s", xmlName(f), render(fv)))
	}
}
