package main

import (
	"bytes"
	"fmt"
	"reflect"

	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

// deepCopy copies src into dst through the vim25 XML codec (as vcsim does):
// polymorphic fields keep their concrete types and nothing is shared.
func deepCopy(src, dst interface{}) {
	b, err := xml.Marshal(src)
	if err != nil {
		panic(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.TypeFunc = types.TypeFunc()
	if err := dec.Decode(dst); err != nil {
		panic(err)
	}
}

var (
	optionValueSliceType = reflect.TypeOf([]types.BaseOptionValue(nil))
	dynamicDataType      = reflect.TypeOf(types.DynamicData{})
)

type mergeOptions struct {
	// atomic values replace the destination as a whole when set, instead of
	// being merged field by field.
	atomic func(interface{}) bool
}

// mergeSet applies the "set fields overwrite" rule of incremental vSphere
// reconfigurations (ReconfigureComputeResource_Task with modify=true,
// portgroup policy overrides): every field that is set in src replaces the
// field in dst; unset fields (nil pointer or interface, "" string, 0 number,
// nil slice) leave dst alone. Nested data objects merge recursively when
// both sides have the same concrete type. OptionValue arrays merge by key,
// and an option with an empty value removes that key (the documented
// behaviour of VirtualMachineConfigSpec.extraConfig, applied to das/drs/dpm
// options too). dst and src are pointers to values of the same type; src
// must not be used afterwards (its values may be moved into dst).
func mergeSet(dst, src interface{}, opts mergeOptions) error {
	dv, sv := reflect.ValueOf(dst), reflect.ValueOf(src)
	if dv.Kind() != reflect.Ptr || sv.Kind() != reflect.Ptr || dv.Type() != sv.Type() {
		return fmt.Errorf("mergeSet: need two pointers of one type, got %T and %T", dst, src)
	}
	return mergeValue(dv.Elem(), sv.Elem(), opts)
}

func isSet(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Ptr, reflect.Interface, reflect.Slice, reflect.Map:
		return !v.IsNil()
	case reflect.String:
		return v.Len() > 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return !v.IsZero()
	case reflect.Bool:
		return true // plain bools are required fields in vim25; they are always sent
	case reflect.Struct:
		return true
	}
	return false
}

func mergeValue(dst, src reflect.Value, opts mergeOptions) error {
	switch dst.Kind() {
	case reflect.Struct:
		for i := 0; i < dst.NumField(); i++ {
			f := dst.Type().Field(i)
			if f.Type == dynamicDataType || f.PkgPath != "" {
				continue
			}
			if err := mergeValue(dst.Field(i), src.Field(i), opts); err != nil {
				return err
			}
		}
		return nil
	case reflect.Ptr:
		if src.IsNil() {
			return nil
		}
		if dst.IsNil() || src.Elem().Kind() != reflect.Struct || (opts.atomic != nil && opts.atomic(src.Interface())) {
			dst.Set(src)
			return nil
		}
		return mergeValue(dst.Elem(), src.Elem(), opts)
	case reflect.Interface:
		if src.IsNil() {
			return nil
		}
		if dst.IsNil() || dst.Elem().Type() != src.Elem().Type() || src.Elem().Kind() != reflect.Ptr ||
			(opts.atomic != nil && opts.atomic(src.Interface())) {
			dst.Set(src)
			return nil
		}
		return mergeValue(dst.Elem().Elem(), src.Elem().Elem(), opts)
	case reflect.Slice:
		if src.IsNil() {
			return nil
		}
		if dst.Type() == optionValueSliceType {
			merged, err := mergeOptionValues(dst.Interface().([]types.BaseOptionValue), src.Interface().([]types.BaseOptionValue))
			if err != nil {
				return err
			}
			dst.Set(reflect.ValueOf(merged))
			return nil
		}
		dst.Set(src)
		return nil
	default:
		if isSet(src) {
			dst.Set(src)
		}
		return nil
	}
}

// optionIsEmpty: a nil or "" value asks for the key to be removed.
func optionIsEmpty(o *types.OptionValue) bool {
	if o.Value == nil {
		return true
	}
	s, ok := o.Value.(string)
	return ok && s == ""
}

// mergeOptionValues merges src into a copy of dst by key; existing keys keep
// their position. The OptionValue objects of dst are never modified in place
// (vcsim shares such pointers between objects).
func mergeOptionValues(dst, src []types.BaseOptionValue) ([]types.BaseOptionValue, error) {
	out := make([]types.BaseOptionValue, 0, len(dst)+len(src))
	out = append(out, dst...)
	for _, s := range src {
		o := s.GetOptionValue()
		if o.Key == "" {
			return nil, fmt.Errorf("option without key")
		}
		idx := -1
		for i, d := range out {
			if d.GetOptionValue().Key == o.Key {
				idx = i
				break
			}
		}
		switch {
		case optionIsEmpty(o) && idx >= 0:
			out = append(out[:idx:idx], out[idx+1:]...)
		case optionIsEmpty(o):
			// removing a key that is not there is not an error
		case idx >= 0:
			out[idx] = &types.OptionValue{Key: o.Key, Value: o.Value}
		default:
			out = append(out, &types.OptionValue{Key: o.Key, Value: o.Value})
		}
	}
	return out, nil
}

// dropEmptyOptions removes options with an empty value (used when a spec
// replaces a configuration, modify=false).
func dropEmptyOptions(opts []types.BaseOptionValue) []types.BaseOptionValue {
	var out []types.BaseOptionValue
	for _, o := range opts {
		if !optionIsEmpty(o.GetOptionValue()) {
			out = append(out, o)
		}
	}
	return out
}
