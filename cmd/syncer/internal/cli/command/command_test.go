package command

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestParseInterspersed(t *testing.T) {
	newFS := func() (*flag.FlagSet, *bool, *int) {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		return fs, fs.Bool("v", false, ""), fs.Int("n", 0, "")
	}
	cases := []struct {
		args []string
		pos  string
		v    bool
		n    int
	}{
		{[]string{"a", "b"}, "a b", false, 0},
		{[]string{"-v", "a", "--n=3", "b"}, "a b", true, 3},
		{[]string{"a", "-n", "4", "--", "-v", "c"}, "a -v c", false, 4},
		{nil, "", false, 0},
	}
	for _, c := range cases {
		fs, v, n := newFS()
		pos, err := ParseInterspersed(fs, c.args)
		if err != nil || strings.Join(pos, " ") != c.pos || *v != c.v || *n != c.n {
			t.Errorf("%q: pos %q v %v n %d err %v", c.args, pos, *v, *n, err)
		}
	}
	fs, _, _ := newFS()
	if _, err := ParseInterspersed(fs, []string{"a", "--help"}); !errors.Is(FlagError("x", err), ErrHelpShown) {
		t.Errorf("--help: %v", err)
	}
	fs, _, _ = newFS()
	_, err := ParseInterspersed(fs, []string{"--bad"})
	var ue *UsageError
	if !errors.As(FlagError("x", err), &ue) || ue.Cmd != "x" || !strings.Contains(ue.Msg, "-bad") {
		t.Errorf("--bad: %v", err)
	}
}
