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
	def.applyDefaults()
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
	if _, ok := v.Interface().(yaml.Marshaler); ok || v.Kind() != reflect.Struct && v.Kind() != reflect.Pointer && v.Kind() != reflect.Slice && v.Kind() != reflect.Map {
		n := &yaml.Node{}
		if err := n.Encode(v.Interface()); err != nil {
			return nil, fmt.Errorf("writing %v: %w", v.Type(), err)
		}
		return n, nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		var d reflect.Value
		if def.IsValid() && !def.IsNil() {
			d = def.Elem()
		}
		if v.Elem().Kind() != reflect.Struct {
			// An optional scalar (a switch, an option value): written
			// whenever set, since set-to-zero differs from unset.
			n := &yaml.Node{}
			if err := n.Encode(v.Elem().Interface()); err != nil {
				return nil, err
			}
			return n, nil
		}
		n, err := yamlNode(v.Elem(), d)
		if n == nil && err == nil {
			n = &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle} // a set but empty block: {}
		}
		return n, err
	case reflect.Struct:
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
	case reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		scalars := true
		for i := range v.Len() {
			c, err := yamlNode(v.Index(i), reflect.Value{})
			if err != nil {
				return nil, err
			}
			if c == nil {
				// A zero element still counts: keep its place.
				c = &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			}
			scalars = scalars && c.Kind == yaml.ScalarNode
			n.Content = append(n.Content, c)
		}
		if scalars {
			n.Style = yaml.FlowStyle
		}
		return n, nil
	case reflect.Map:
		n := &yaml.Node{Kind: yaml.MappingNode}
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			kn, vn := &yaml.Node{}, &yaml.Node{}
			if err := kn.Encode(k.Interface()); err != nil {
				return nil, err
			}
			if err := vn.Encode(v.MapIndex(k).Interface()); err != nil {
				return nil, err
			}
			n.Content = append(n.Content, kn, vn)
		}
		return n, nil
	}
	return nil, fmt.Errorf("writing YAML: no rule for %v", v.Type())
}
