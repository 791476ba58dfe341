package config

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YAML renders the configuration as pxed YAML that Parse reads back into an
// equal Config. Only fields that differ from their defaults are written, in
// the order of the Config struct (which docs/config.md follows); lists of
// scalars and options are written in flow style, one per line. The output
// is deterministic: map keys are sorted.
func (c *Config) YAML() ([]byte, error) {
	def := &Config{}
	def.ApplyDefaults()
	n, err := yamlNode(reflect.ValueOf(*c), reflect.ValueOf(*def))
	if err != nil {
		return nil, err
	}
	if n == nil {
		n = &yaml.Node{Kind: yaml.MappingNode}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("writing YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing YAML: %w", err)
	}
	return buf.Bytes(), nil
}

// yamlNode renders v, leaving out what equals def (the default, or the zero
// value inside lists). It returns nil for a value left out.
func yamlNode(v, def reflect.Value) (*yaml.Node, error) {
	if v.IsZero() || (def.IsValid() && reflect.DeepEqual(v.Interface(), def.Interface())) {
		return nil, nil
	}
	if isScalar(v) {
		n := &yaml.Node{}
		if err := n.Encode(v.Interface()); err != nil {
			return nil, fmt.Errorf("writing %v: %w", v.Type(), err)
		}
		return n, nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		return pointerNode(v, def)
	case reflect.Struct:
		return structNode(v, def)
	case reflect.Slice:
		return sliceNode(v)
	case reflect.Map:
		return mapNode(v)
	}
	return nil, fmt.Errorf("writing YAML: no rule for %v", v.Type())
}

// isScalar reports whether v is written as one YAML scalar: a value that
// marshals itself (Addr, Duration …) or anything that is no struct,
// pointer, slice or map.
func isScalar(v reflect.Value) bool {
	if _, ok := v.Interface().(yaml.Marshaler); ok {
		return true
	}
	switch v.Kind() {
	case reflect.Struct, reflect.Pointer, reflect.Slice, reflect.Map:
		return false
	}
	return true
}

// pointerNode renders an optional value. An optional scalar (a switch, an
// option value) is written whenever set, since set-to-zero differs from
// unset; an optional block set but empty is written as {}.
func pointerNode(v, def reflect.Value) (*yaml.Node, error) {
	if v.Elem().Kind() != reflect.Struct {
		n := &yaml.Node{}
		if err := n.Encode(v.Elem().Interface()); err != nil {
			return nil, err
		}
		return n, nil
	}
	var d reflect.Value
	if def.IsValid() && !def.IsNil() {
		d = def.Elem()
	}
	n, err := yamlNode(v.Elem(), d)
	if n == nil && err == nil {
		n = &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	}
	return n, err
}

// structNode renders the fields that have a YAML key, in struct order,
// leaving out those equal to their default; an Option goes on one line.
// A struct with nothing to write is left out.
func structNode(v, def reflect.Value) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	if v.Type() == reflect.TypeFor[Option]() {
		n.Style = yaml.FlowStyle
	}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		var d reflect.Value
		if def.IsValid() {
			d = def.Field(i)
		}
		c, err := yamlNode(v.Field(i), d)
		if err != nil {
			return nil, err
		}
		if c == nil {
			continue
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, c)
	}
	if len(n.Content) == 0 {
		return nil, nil
	}
	return n, nil
}

// sliceNode renders every element, a zero one as {} so that it keeps its
// place; a list of scalars goes on one line.
func sliceNode(v reflect.Value) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	scalars := true
	for i := range v.Len() {
		c, err := yamlNode(v.Index(i), reflect.Value{})
		if err != nil {
			return nil, err
		}
		if c == nil {
			c = &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		}
		scalars = scalars && c.Kind == yaml.ScalarNode
		n.Content = append(n.Content, c)
	}
	if scalars {
		n.Style = yaml.FlowStyle
	}
	return n, nil
}

// mapNode renders a map with its keys sorted, so the output is
// deterministic.
func mapNode(v reflect.Value) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
	for _, k := range keys {
		kn := &yaml.Node{}
		if err := kn.Encode(k.Interface()); err != nil {
			return nil, err
		}
		vn, err := mapValue(v.MapIndex(k))
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, kn, vn)
	}
	return n, nil
}

// mapValue renders one value of a map. A struct (a profile's
// per-architecture entry) leaves its empty fields out like any struct, and
// is {} when all are; a scalar is written as it is, "" too.
func mapValue(v reflect.Value) (*yaml.Node, error) {
	if v.Kind() == reflect.Struct {
		n, err := yamlNode(v, reflect.Value{})
		if n == nil && err == nil {
			n = &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		}
		return n, err
	}
	n := &yaml.Node{}
	return n, n.Encode(v.Interface())
}
