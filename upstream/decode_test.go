package upstream

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wedagraph/gateway/upstream/sandbox"
)

// sandboxAnswer is the sandbox's whole answer to one workflow call, as the client reads it.
func sandboxAnswer(tb testing.TB, endpoint, body string) []byte {
	tb.Helper()
	s := sandbox.New(sandbox.Options{APIKey: "k"})
	body = strings.ReplaceAll(body, "$USER", s.UserID(sandbox.DemoUser))
	r := httptest.NewRequest(http.MethodPost, "/weda/workflow/v1/prod/"+endpoint, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer k")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"Error"`) {
		tb.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes()
}

// BenchmarkDecodeWorkItems decodes a 20-item TODO page, the inbox's largest answer.
func BenchmarkDecodeWorkItems(b *testing.B) {
	raw := sandboxAnswer(b, "ListProcessInstances", `{"UserInfo":{"UserId":"$USER","Type":4},"PageType":"TODO","PageSize":20}`)
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var out WorkItems
		if err := decodeWorkflow("ListProcessInstances", resp, raw, "rid", &out); err != nil || len(out.Records) != 20 {
			b.Fatal(err, len(out.Records))
		}
	}
}
