package rie_test

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/personsapi/persons/pkg/rie"
)

func TestInvokeEcho(t *testing.T) {
	bin := rie.Build(t, "./pkg/rie/testdata/echo")
	if again := rie.Build(t, "./pkg/rie/testdata/echo"); again != bin {
		t.Errorf("second Build = %s, want the cached %s", again, bin)
	}
	fn := rie.Start(t, bin, map[string]string{"ECHO_ENV": "hello"})
	if _, ok := fn.InitDuration(); ok {
		t.Error("InitDuration reported before the first invocation")
	}

	out := fn.Invoke(t, []byte(`{"data":{"n":1}}`))
	var got struct {
		Data struct{ N int } `json:"data"`
		Env  string          `json:"env"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	if got.Data.N != 1 || got.Env != "hello" {
		t.Errorf("got %s, want data.n=1 and env=hello", out)
	}
	if d, ok := fn.InitDuration(); !ok || d <= 0 {
		t.Errorf("InitDuration = %v, %v; want a positive duration\nlog:\n%s", d, ok, fn.Log())
	}

	out = fn.Invoke(t, []byte(`{"fail":true}`))
	var fnErr struct{ ErrorMessage, ErrorType string }
	if err := json.Unmarshal(out, &fnErr); err != nil || fnErr.ErrorMessage != "asked to fail" {
		t.Errorf("function error payload = %s, want errorMessage %q", out, "asked to fail")
	}
}

// Two emulators at once must not clash (each has its own ports).
func TestParallelEmulators(t *testing.T) {
	bin := rie.Build(t, "./pkg/rie/testdata/echo")
	var wg sync.WaitGroup
	for i := range 2 {
		fn := rie.Start(t, bin, map[string]string{"ECHO_ENV": string(rune('a' + i))})
		wg.Go(func() {
			out := fn.Invoke(t, []byte(`{}`))
			var got struct{ Env string }
			if err := json.Unmarshal(out, &got); err != nil || got.Env != string(rune('a'+i)) {
				t.Errorf("emulator %d answered %s", i, out)
			}
		})
	}
	wg.Wait()
}
