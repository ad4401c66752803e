package pipelines

import (
	"os"
	"path/filepath"
	"testing"
)

// exampleEnv is the environment the examples are loaded with.
var exampleEnv = map[string]string{
	"SYNCER_SOURCE_DSN": "syncer:s3cret@tcp(127.0.0.1:3306)/",
	"SYNCER_TARGET_DSN": "postgres://syncer:s3cret@127.0.0.1:5432/demo",
	"SHOP_SOURCE_DSN":   "mysql://syncer:s3cret@shop-db:3306/",
	"SHOP_TARGET_DSN":   "host=pg user=syncer password=s3cret dbname=shop",
	"CRM_SOURCE_DSN":    "syncer:s3cret@tcp(crm-db)/",
	"HOME":              "/home/test",
}

func TestLoadExamples(t *testing.T) {
	paths, err := filepath.Glob("examples/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for k, v := range exampleEnv {
		t.Setenv(k, v)
	}
	t.Setenv("SYNCER_STATE_DIR", "")
	os.Unsetenv("SYNCER_STATE_DIR")
	os.Unsetenv("CRM_TARGET_DSN")
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			f, err := Load(p)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(f.Pipelines) == 0 {
				t.Fatal("no pipelines")
			}
		})
	}
}
