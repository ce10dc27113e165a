package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// benchEndpoint serves one workflow call to the handler b.N times, as the gateway sends it.
func benchEndpoint(b *testing.B, endpoint, body string) {
	b.Helper()
	s := New(Options{APIKey: "bench-key"})
	id := s.UserID(DemoUser)
	body = strings.ReplaceAll(body, "$USER", id)
	if strings.Contains(body, "$INSTANCE") {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, benchRequest("ListProcessInstances", `{"UserInfo":{"UserId":"`+id+`","Type":4},"PageType":"TODO","PageSize":1}`))
		inst := rec.Body.String()
		i := strings.Index(inst, `"InstanceId":"`) + len(`"InstanceId":"`)
		body = strings.ReplaceAll(body, "$INSTANCE", inst[i:i+19])
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, benchRequest(endpoint, body))
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"Error"`) {
			b.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
	}
}

func benchRequest(endpoint, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/weda/workflow/v1/prod/"+endpoint, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer bench-key")
	return r
}

func BenchmarkListProcessInstancesTodo20(b *testing.B) {
	benchEndpoint(b, "ListProcessInstances", `{"UserInfo":{"UserId":"$USER","Type":4},"PageType":"TODO","PageNumber":1,"PageSize":20}`)
}

func BenchmarkListProcessInstancesCount(b *testing.B) {
	benchEndpoint(b, "ListProcessInstancesCount", `{"UserInfo":{"UserId":"$USER","Type":4}}`)
}

func BenchmarkGetFlowInstanceTasks(b *testing.B) {
	benchEndpoint(b, "GetFlowInstanceTasks", `{"InstanceId":"$INSTANCE","PageSize":100}`)
}
