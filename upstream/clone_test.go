package upstream

import (
	"context"
	"net/http"
	"reflect"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vendorReads calls each read endpoint whose answer the vendor's document shows.
var vendorReads = []struct {
	endpoint, example string
	call              func(context.Context, *Client) (any, error)
}{
	{"sys_user", "01", func(ctx context.Context, c *Client) (any, error) {
		return c.ListUsers(ctx, UserQuery{Filter: "name eq 'administrator'", Top: 5, Count: true})
	}},
	{"GetFlowInstances", "06", func(ctx context.Context, c *Client) (any, error) {
		return c.GetFlowInstances(ctx, &FlowInstancesRequest{FlowCode: "1554326000705142787"})
	}},
	{"GetFlowInstanceTasks", "07", func(ctx context.Context, c *Client) (any, error) {
		return c.GetFlowInstanceTasks(ctx, &InstanceTasksRequest{InstanceID: "1554411407090827265"})
	}},
	{"GetFlowInstanceOperations", "08", func(ctx context.Context, c *Client) (any, error) {
		return c.GetFlowInstanceOperations(ctx, &InstanceOperationsRequest{InstanceID: "1554430936495865858"})
	}},
	{"DescribeProcessInstance", "09", func(ctx context.Context, c *Client) (any, error) {
		return c.DescribeProcessInstance(ctx, &DescribeInstanceRequest{FlowTaskID: "1554350812862480385", PageType: PageCC})
	}},
	{"GetApprovalPageDetail", "10", func(ctx context.Context, c *Client) (any, error) {
		return c.GetApprovalPageDetail(ctx, &ApprovalPageRequest{InstanceID: "1554350593668153346", PageType: PageDone})
	}},
	{"GetProcessCanvasInfo", "11", func(ctx context.Context, c *Client) (any, error) {
		return c.GetProcessCanvasInfo(ctx, "1554350593668153346", "1554326000705142787")
	}},
	{"ListProcessInstances", "12", func(ctx context.Context, c *Client) (any, error) {
		return c.ListProcessInstances(ctx, &WorkItemsRequest{UserInfo: UserInfo{UserID: "1519239780903088129", Type: 4},
			PageType: PageTodo, PageNumber: 1, PageSize: 10})
	}},
	{"ListProcessInstancesCount", "13", func(ctx context.Context, c *Client) (any, error) {
		return c.ListProcessInstancesCount(ctx, UserInfo{UserID: "1519239780903088129", Type: 4}, "")
	}},
	{"GetPreElementList", "18", func(ctx context.Context, c *Client) (any, error) {
		return c.GetPreElementList(ctx, "1580763678206234626")
	}},
	{"DescribeWorkflowMessages", "20", func(ctx context.Context, c *Client) (any, error) {
		return c.DescribeWorkflowMessages(ctx, &MessagesRequest{UserInfo: UserInfo{UserID: "1558049980829474819", Type: 4},
			PageNo: 1, PageSize: 10, Status: MessageRead})
	}},
	{"DescribeWorkflowMessageCount", "21", func(ctx context.Context, c *Client) (any, error) {
		return c.DescribeWorkflowMessageCount(ctx, UserInfo{UserID: "1558049980829474819", Type: 4}, MessageTodo)
	}},
}

// A shared answer is decoded once; every waiter gets exactly what a call of its own would have
// decoded, and nothing of it is shared with another waiter.
func TestSharedAnswersAreDecodedOnceAndCopiedWhole(t *testing.T) {
	for _, tc := range vendorReads {
		t.Run(tc.endpoint, func(t *testing.T) {
			body := vendorExample(t, tc.example)
			alone, err := tc.call(context.Background(), testClient(t, vendorUpstream(t, tc.endpoint, body)))
			require.NoError(t, err)

			up := newGatedUpstream(t, tc.endpoint, body)
			c := testClient(t, up.fakeUpstream, coalescing)
			const n = 4
			all := joinSignal(c, n)
			results := make([]any, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { results[i], errs[i] = tc.call(context.Background(), c) })
			}
			await(t, all, "4 callers waiting on one call")
			up.open()
			wg.Wait()

			assert.Len(t, up.calls(tc.endpoint), 1)
			assert.Equal(t, int64(1), c.flights.decodes.Load(), "decoded once for every waiter")
			for i := range n {
				require.NoError(t, errs[i])
				assert.Equal(t, alone, results[i])
				for j := range i {
					assertNothingShared(t, reflect.ValueOf(results[i]), reflect.ValueOf(results[j]), "")
				}
			}
		})
	}
}

func vendorUpstream(t *testing.T, endpoint, body string) *fakeUpstream {
	f := newFakeUpstream(t)
	f.handle(endpoint, answer(200, body))
	return f
}

// assertNothingShared fails when a and b reach the same slice array, map or pointed-to value
// through exported fields.
func assertNothingShared(t *testing.T, a, b reflect.Value, path string) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return
		}
		if a.Type().Elem().Size() > 0 {
			assert.NotEqual(t, a.Pointer(), b.Pointer(), "shared pointer at %s", path)
		}
		assertNothingShared(t, a.Elem(), b.Elem(), path)
	case reflect.Interface:
		if !a.IsNil() && !b.IsNil() {
			assertNothingShared(t, a.Elem(), b.Elem(), path)
		}
	case reflect.Slice:
		if a.Len() > 0 && b.Len() > 0 && a.Type().Elem().Size() > 0 {
			assert.NotEqual(t, a.Pointer(), b.Pointer(), "shared slice at %s", path)
		}
		for i := range min(a.Len(), b.Len()) {
			assertNothingShared(t, a.Index(i), b.Index(i), path+"[]")
		}
	case reflect.Map:
		if !a.IsNil() && !b.IsNil() {
			assert.NotEqual(t, a.Pointer(), b.Pointer(), "shared map at %s", path)
			for it := a.MapRange(); it.Next(); {
				if v := b.MapIndex(it.Key()); v.IsValid() {
					assertNothingShared(t, it.Value(), v, path+"."+it.Key().String())
				}
			}
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				assertNothingShared(t, a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
			}
		}
	}
}

// cloneInto copies through slices, maps, pointers and interfaces, and keeps unexported fields.
func TestCloneIntoCopiesEveryReference(t *testing.T) {
	type inner struct {
		Tags []string
		Any  any
	}
	src := &struct {
		Name  string
		Items []inner
		Map   map[string]any
		Ptr   *inner
		At    Time
	}{
		Name:  "n",
		Items: []inner{{Tags: []string{"a"}, Any: map[string]any{"k": []any{1.0, "x"}}}},
		Map:   map[string]any{"m": []any{map[string]any{"z": "y"}}},
		Ptr:   &inner{Tags: []string{"p"}},
		At:    Time{zoneless: true},
	}
	dst := reflect.New(reflect.TypeOf(src).Elem()).Interface()
	cloneInto(dst, src)
	assert.Equal(t, src, dst)
	assert.True(t, reflect.ValueOf(dst).Elem().FieldByName("At").Interface().(Time).zoneless, "unexported fields copied")
	assertNothingShared(t, reflect.ValueOf(src), reflect.ValueOf(dst), "")
}

// BenchmarkCloneWorkItems copies a 20-record workbench page (the vendor's records, repeated):
// what each waiter on a shared ListProcessInstances gets.
func BenchmarkCloneWorkItems(b *testing.B) {
	var page WorkItems
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}}
	require.NoError(b, decodeWorkflow("ListProcessInstances", resp, []byte(vendorExample(b, "12")), "", &page))
	require.NotEmpty(b, page.Records)
	for len(page.Records) < 20 {
		page.Records = append(page.Records, page.Records...)
	}
	page.Records = page.Records[:20]
	b.ReportAllocs()
	for b.Loop() {
		var out WorkItems
		cloneInto(&out, &page)
	}
}
