package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "neosync-schema-plugin/pluginv1"
)

// loadConfig reads a job config as the C host does: the proto3 JSON mapping, plus enum values
// written without their type's prefix and in any case ("fkMode": "not_valid_on_violation" for
// FK_MODE_NOT_VALID_ON_VIOLATION), which protojson alone does not accept.
func loadConfig(path string) (*pb.JobConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("job config: %w", err)
	}
	var tree interface{}
	if err := json.Unmarshal(data, &tree); err != nil {
		return nil, fmt.Errorf("job config %s: %w", path, err)
	}
	cfg := &pb.JobConfig{}
	normalizeEnums(tree, cfg.ProtoReflect().Descriptor())
	if data, err = json.Marshal(tree); err == nil {
		err = protojson.Unmarshal(data, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("job config %s: %w", path, err)
	}
	return cfg, nil
}

// normalizeEnums rewrites, in the JSON tree of a message md, every enum value given by its short
// name to the full name protojson expects.
func normalizeEnums(v interface{}, md protoreflect.MessageDescriptor) {
	obj, ok := v.(map[string]interface{})
	if !ok {
		return
	}
	fields := md.Fields()
	for key, val := range obj {
		fd := fields.ByJSONName(key)
		if fd == nil {
			fd = fields.ByName(protoreflect.Name(key))
		}
		if fd == nil || fd.IsMap() {
			continue
		}
		each := func(x interface{}) interface{} {
			switch fd.Kind() {
			case protoreflect.EnumKind:
				if s, ok := x.(string); ok {
					return enumFullName(fd.Enum(), s)
				}
			case protoreflect.MessageKind:
				normalizeEnums(x, fd.Message())
			}
			return x
		}
		if list, ok := val.([]interface{}); ok && fd.IsList() {
			for i := range list {
				list[i] = each(list[i])
			}
		} else {
			obj[key] = each(val)
		}
	}
}

// enumFullName: "strip" -> "ON_EXISTING_STRIP" for enum OnExisting (prefix: the type's name in
// UPPER_SNAKE_CASE); a name that matches nothing is left for protojson to report.
func enumFullName(ed protoreflect.EnumDescriptor, s string) string {
	prefix := upperSnake(string(ed.Name())) + "_"
	values := ed.Values()
	for i := 0; i < values.Len(); i++ {
		name := string(values.Get(i).Name())
		if strings.EqualFold(s, name) || (strings.HasPrefix(name, prefix) && strings.EqualFold(s, name[len(prefix):])) {
			return name
		}
	}
	return s
}

func upperSnake(camel string) string {
	var b strings.Builder
	for i, r := range camel {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}
