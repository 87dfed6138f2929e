package main

import (
	"os"
	"path/filepath"
	"testing"

	pb "neosync-schema-plugin/pluginv1"
)

// The worker reads the host simulator's job configs: short, any-case enum names included.
func TestLoadConfigAcceptsTheHostsEnumSpellings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job.json")
	json := `{"jobId": "j", "source": {"postgres": {"url": "s"}}, "destination": {"postgres": {"url": "d"}},
	  "exclude_tables": [{"schema": "x", "table": "*"}],
	  "hooks": [{"name": "schema", "enabled": true, "plugin": {"address": "unix:/s",
	    "options": {"onExisting": "strip", "fkMode": "NOT_VALID_ON_VIOLATION", "defer": ["check_constraints", "DEFERRABLE_KIND_DOMAIN_CHECKS"],
	                "sessionSettings": {"work_mem": "strip"}}}}]}`
	if err := os.WriteFile(path, []byte(json), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.Hooks[0].Plugin.GetOptions()
	if o.OnExisting != pb.OnExisting_ON_EXISTING_STRIP || o.FkMode != pb.FkMode_FK_MODE_NOT_VALID_ON_VIOLATION ||
		len(o.Defer) != 2 || o.Defer[0] != pb.DeferrableKind_DEFERRABLE_KIND_CHECK_CONSTRAINTS ||
		o.SessionSettings["work_mem"] != "strip" || cfg.ExcludeTables[0].Schema != "x" {
		t.Fatalf("options read as %v", o)
	}
	if err := os.WriteFile(path, []byte(`{"hooks": [{"plugin": {"options": {"fkMode": "sometimes"}}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(path); err == nil {
		t.Fatal("an unknown enum value was accepted")
	}
}
