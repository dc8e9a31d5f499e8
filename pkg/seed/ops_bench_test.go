package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/ddbstats"
	"github.com/personsapi/persons/pkg/ddbtest"
	"github.com/personsapi/persons/pkg/persons"
)

// The original approach, reimplemented as the baseline of BenchmarkOperations (the data
// layer of the TypeScript service this one was ported from, on the same items): one
// request per entity and item, reads eventually consistent (its library's default), no
// transactions, no batches.

// origKinds are the sort key prefixes of the related kinds, one Query each.
var origKinds = []string{"ADDRESS#", "BANK#", "CONTACT#", "EMPLOYMENT#"}

// origDetails reads a person and its related items: GetItem of the person, then one
// Query per related kind.
func origDetails(ctx context.Context, db *dynamodb.Client, table, id string) (int, error) {
	pk := "PERSON#" + id
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: origKey(pk, "PROFILE")})
	if err != nil {
		return 0, err
	}
	if len(out.Item) == 0 {
		return 0, fmt.Errorf("person %s not found", id)
	}
	n := 1
	for _, prefix := range origKinds {
		items, err := origQueryKind(ctx, db, table, pk, prefix)
		if err != nil {
			return 0, err
		}
		n += len(items)
	}
	return n, nil
}

// origDelete deletes a person the original way: the related items of each kind are
// queried and deleted one DeleteItem at a time, then the person.
func origDelete(ctx context.Context, db *dynamodb.Client, table, id string) error {
	pk := "PERSON#" + id
	for _, prefix := range origKinds {
		items, err := origQueryKind(ctx, db, table, pk, prefix)
		if err != nil {
			return err
		}
		for _, it := range items {
			if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table),
				Key: map[string]types.AttributeValue{"pk": it["pk"], "sk": it["sk"]}}); err != nil {
				return err
			}
		}
	}
	_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: origKey(pk, "PROFILE")})
	return err
}

// origList lists every person: a Query of the persons index, 1 MB per page, no limit.
func origList(ctx context.Context, db *dynamodb.Client, table string) (int, error) {
	kc := expression.Key(persons.AttrGSI1PK).Equal(expression.Value("PERSONS"))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return 0, err
	}
	n := 0
	p := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String(persons.GSI1),
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		n += len(out.Items)
	}
	return n, nil
}

func origQueryKind(ctx context.Context, db *dynamodb.Client, table, pk, prefix string) ([]map[string]types.AttributeValue, error) {
	kc := expression.Key("pk").Equal(expression.Value(pk)).And(expression.Key("sk").BeginsWith(prefix))
	e, err := expression.NewBuilder().WithKeyCondition(kc).Build()
	if err != nil {
		return nil, err
	}
	var items []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{TableName: aws.String(table),
		KeyConditionExpression: e.KeyCondition(), ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values()})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		items = append(items, out.Items...)
	}
	return items, nil
}

func origKey(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk}}
}

// opStats collects the samples of one operation by one implementation.
type opStats struct {
	http        int // HTTP requests (the API's side only)
	requests    int64
	read, write float64
	latencies   []time.Duration
	runs        int
}

// measure runs op once with a counter and records its requests, units and latency.
func (s *opStats) measure(b *testing.B, op func(ctx context.Context) error) {
	b.Helper()
	ctx, c := ddbstats.WithCounter(context.Background())
	start := time.Now()
	if err := op(ctx); err != nil {
		b.Fatal(err)
	}
	s.latencies = append(s.latencies, time.Since(start))
	s.requests += c.Load()
	s.read += c.ReadUnits()
	s.write += c.WriteUnits()
	s.runs++
}

func (s *opStats) percentile(p float64) time.Duration {
	l := slices.Clone(s.latencies)
	slices.Sort(l)
	i := int(float64(len(l)-1) * p)
	return l[i]
}

// BenchmarkOperations measures the API's operations through the HTTP handler (router,
// middleware, store) on DynamoDB Local, next to the original approach (above) on a
// table holding the same items: per operation the DynamoDB requests, read and write
// units (as DynamoDB Local reports them) and p50/p99 latency, and the API's HTTP
// requests. 200 persons are seeded; the per-person operations run on 50 of them; the
// eager list runs on 10,000 more. It prints one table per operation. Run it
// with `make bench`; the baseline is called directly, without HTTP, so its latencies
// leave out the cost that the API's include.
func BenchmarkOperations(b *testing.B) {
	const n, perPerson, seed = 200, 50, 7
	const listRuns = 20
	db, apiTable := ddbtest.NewTable(b, ddbstats.Counting)
	_, origTable := ddbtest.NewTable(b)
	ctx := context.Background()
	for _, table := range []string{apiTable, origTable} {
		if _, err := Run(ctx, db, table, Options{Count: n, Seed: seed}); err != nil {
			b.Fatal(err)
		}
	}
	ids := make([]string, perPerson)
	related := 0
	for i := range ids {
		d := Person(seed, i)
		ids[i] = d.ID
		related += len(d.Addresses) + len(d.BankAccounts) + len(d.Contacts) + len(d.Employments)
	}
	store := persons.New(db, apiTable)
	h := api.NewHandler(api.Options{Store: store, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	serve := func(ctx context.Context, method, target string, want int) ([]byte, error) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, target, nil).WithContext(ctx))
		if rec.Code != want {
			return nil, fmt.Errorf("%s %s: %d %s", method, target, rec.Code, rec.Body)
		}
		return rec.Body.Bytes(), nil
	}

	type row struct {
		op              string
		api, orig       *opStats
		apiHow, origHow string
	}
	var rows []row
	b.ResetTimer()

	// A person with all its related items.
	r := row{op: fmt.Sprintf("person with all related items (%d persons, %.1f items each)", perPerson, float64(related+perPerson)/perPerson),
		api: &opStats{}, orig: &opStats{}, apiHow: "GET /persons/{id}?include=all", origHow: "GetItem + Query per kind"}
	for _, id := range ids {
		r.api.measure(b, func(ctx context.Context) error {
			r.api.http++
			_, err := serve(ctx, "GET", "/persons/"+id+"?include=all", 200)
			return err
		})
		r.orig.measure(b, func(ctx context.Context) error { _, err := origDetails(ctx, db, origTable, id); return err })
	}
	rows = append(rows, r)

	// Every person, page after page.
	r = row{op: fmt.Sprintf("list all %d persons (%d runs)", n, listRuns), api: &opStats{}, orig: &opStats{},
		apiHow: "GET /persons?limit=1000, following nextCursor", origHow: "Query GSI1, 1 MB pages"}
	for range listRuns {
		r.api.measure(b, func(ctx context.Context) error { return apiListAll(ctx, h, n, &r.api.http) })
		r.orig.measure(b, func(ctx context.Context) error {
			got, err := origList(ctx, db, origTable)
			if err == nil && got != n {
				err = fmt.Errorf("listed %d persons, want %d", got, n)
			}
			return err
		})
	}
	rows = append(rows, r)

	// The cascade delete.
	r = row{op: fmt.Sprintf("delete a person with its related items (%d persons)", perPerson), api: &opStats{}, orig: &opStats{},
		apiHow: "DELETE /persons/{id}", origHow: "Query per kind + DeleteItem per item"}
	for _, id := range ids {
		r.api.measure(b, func(ctx context.Context) error {
			r.api.http++
			_, err := serve(ctx, "DELETE", "/persons/"+id, 204)
			return err
		})
		r.orig.measure(b, func(ctx context.Context) error { return origDelete(ctx, db, origTable, id) })
	}
	rows = append(rows, r)

	// The eager list of a large table: 10,000 persons (PROFILE items only: the list
	// reads nothing else), one table read by both.
	const big, bigRuns = 10000, 5
	_, bigTable := ddbtest.NewTable(b)
	b.StopTimer()
	if err := putProfiles(ctx, db, bigTable, seed, big); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	bigH := api.NewHandler(api.Options{Store: persons.New(db, bigTable), Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	r = row{op: fmt.Sprintf("list all %d persons (%d runs)", big, bigRuns), api: &opStats{}, orig: &opStats{},
		apiHow: "GET /persons?limit=1000, following nextCursor", origHow: "Query GSI1, 1 MB pages"}
	for range bigRuns {
		r.api.measure(b, func(ctx context.Context) error { return apiListAll(ctx, bigH, big, &r.api.http) })
		r.orig.measure(b, func(ctx context.Context) error {
			got, err := origList(ctx, db, bigTable)
			if err == nil && got != big {
				err = fmt.Errorf("listed %d persons, want %d", got, big)
			}
			return err
		})
	}
	rows = append(rows, r)
	b.StopTimer()

	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
	for _, r := range rows {
		fmt.Fprintf(w, "\n%s\t\t\t\t\t\t\t\n", r.op)
		fmt.Fprintf(w, "\tHTTP/op\trequests/op\tRCU/op\tWCU/op\tp50 ms\tp99 ms\t\n")
		for _, s := range []struct {
			name string
			st   *opStats
		}{{"API: " + r.apiHow, r.api}, {"original: " + r.origHow, r.orig}} {
			runs := float64(s.st.runs)
			httpPer := "-"
			if s.st.http > 0 {
				httpPer = fmt.Sprintf("%.1f", float64(s.st.http)/runs)
			}
			fmt.Fprintf(w, "%s\t%s\t%.1f\t%.2f\t%.2f\t%s\t%s\t\n", s.name, httpPer, float64(s.st.requests)/runs, s.st.read/runs, s.st.write/runs,
				ms(s.st.percentile(0.5)), ms(s.st.percentile(0.99)))
		}
		fmt.Fprintf(w, "ratio original/API\t\t%.1f×\t%s\t%s\t%.1f×\t%.1f×\t\n",
			float64(r.orig.requests)/float64(r.api.requests), ratio(r.orig.read, r.api.read), ratio(r.orig.write, r.api.write),
			float64(r.orig.percentile(0.5))/float64(r.api.percentile(0.5)), float64(r.orig.percentile(0.99))/float64(r.api.percentile(0.99)))
	}
	w.Flush()
	fmt.Println(strings.Repeat("-", 20))
}

// apiListAll lists every person through the handler, page after page of the largest
// size, and checks that it got want persons. It counts its HTTP requests in *httpReqs.
func apiListAll(ctx context.Context, h http.Handler, want int, httpReqs *int) error {
	got, cursor := 0, ""
	for {
		target := "/persons?limit=1000"
		if cursor != "" {
			target += "&cursor=" + url.QueryEscape(cursor)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil).WithContext(ctx))
		*httpReqs++
		if rec.Code != http.StatusOK {
			return fmt.Errorf("GET %s: %d %s", target, rec.Code, rec.Body)
		}
		var page persons.Page[persons.Person]
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			return err
		}
		got += len(page.Items)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if got != want {
		return fmt.Errorf("listed %d persons, want %d", got, want)
	}
	return nil
}

// putProfiles writes the PROFILE items of n generated persons, 25 per BatchWriteItem.
func putProfiles(ctx context.Context, db *dynamodb.Client, table string, seed int64, n int) error {
	var reqs []types.WriteRequest
	flush := func() error {
		for len(reqs) > 0 {
			out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
			if err != nil {
				return err
			}
			reqs = out.UnprocessedItems[table]
		}
		return nil
	}
	for i := range n {
		items, err := persons.Items(persons.PersonDetails{Person: Person(seed, i).Person})
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: items[0]}})
		if len(reqs) == 25 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}
