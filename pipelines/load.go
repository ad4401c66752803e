package pipelines

import (
	"errors"
	"os"
)

// Load reads the pipelines file at path, expands ${VAR} references from
// the process environment and validates it. Errors are an *Errors.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse parses and validates a pipelines file's contents; path is used in
// error messages and to resolve nothing else. env looks up variables for
// ${VAR} references (os.LookupEnv in Load).
func Parse(path string, data []byte, env func(string) (string, bool)) (*File, error) {
	return nil, errors.New("pipelines: not implemented yet")
}
