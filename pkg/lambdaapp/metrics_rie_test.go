package lambdaapp_test

import (
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/deploy"
	"github.com/personsapi/persons/pkg/persons"
	"github.com/personsapi/persons/pkg/rie"
)

// Under the emulator, with PERSONS_METRICS_NAMESPACE the persons function's access
// lines are EMF records with the invocation's trace id; without it they are plain.
// PERSONS_MEASURE_METRICS=1 also logs init duration and per-request latency (median of
// warm GETs) with metrics on and off, the numbers the README quotes.
func TestMetricsUnderEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Lambda binary")
	}
	db, table := ddbtest.NewTable(t)
	id := personMaker(persons.New(db, table))(t)
	bin := rie.Build(t, "./functions/persons")
	rounds, runs := 3, []bool{false, true}
	if os.Getenv("PERSONS_MEASURE_METRICS") != "" {
		// Interleaved, so that DynamoDB Local warming up favours neither.
		rounds, runs = 300, []bool{false, true, false, true, false, true}
	}
	for _, on := range runs {
		env := localEnv(t, table)
		if on {
			env[deploy.EnvMetricsNamespace] = "Persons/test"
		}
		fnc := rie.Start(t, bin, env)
		ev := event(t, request{route: "GET /persons/{personId}", path: "/persons/" + id, params: map[string]string{"personId": id}}, "apigw-metrics")
		var took []time.Duration
		for range rounds {
			start := time.Now()
			fnc.Invoke(t, ev)
			took = append(took, time.Since(start))
		}
		sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
		initDur, _ := fnc.InitDuration()
		if !fnc.LogContains(`"msg":"request"`, 5*time.Second) {
			t.Fatalf("no access line:\n%s", fnc.Log())
		}
		hasEMF := strings.Contains(fnc.Log(), `"_aws":{"CloudWatchMetrics"`)
		if hasEMF != on {
			t.Errorf("metrics %v: EMF in the log %v\n%s", on, hasEMF, fnc.Log())
		}
		if i := strings.Index(fnc.Log(), `"trace_id":`); i >= 0 {
			t.Logf("%.60s", fnc.Log()[i:])
		}
		t.Logf("metrics %-5v: init %v, %d warm GETs: median %v, p90 %v", on, initDur, rounds, took[len(took)/2], took[len(took)*9/10])
	}
}
