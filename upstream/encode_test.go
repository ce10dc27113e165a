package upstream

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The request bodies that write themselves must be, byte for byte, what encoding/json writes for
// the same struct without the method: each is compared, on random values, with its plain twin.
// A tag renamed, a member reordered or an omitempty forgotten in encode.go fails here.

type (
	plainWorkItemsRequest          WorkItemsRequest
	plainInstanceTasksRequest      InstanceTasksRequest
	plainInstanceOperationsRequest InstanceOperationsRequest
	plainDescribeInstanceRequest   DescribeInstanceRequest
	plainApprovalPageRequest       ApprovalPageRequest
	plainFlowInstancesRequest      FlowInstancesRequest
	plainCountsRequest             countsRequest
	plainMessagesRequest           MessagesRequest
)

func TestRequestBodiesEncodeLikeEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 1))
	sameAsPlain(t, r, func(v WorkItemsRequest) any { return plainWorkItemsRequest(v) })
	sameAsPlain(t, r, func(v InstanceTasksRequest) any { return plainInstanceTasksRequest(v) })
	sameAsPlain(t, r, func(v InstanceOperationsRequest) any { return plainInstanceOperationsRequest(v) })
	sameAsPlain(t, r, func(v DescribeInstanceRequest) any { return plainDescribeInstanceRequest(v) })
	sameAsPlain(t, r, func(v ApprovalPageRequest) any { return plainApprovalPageRequest(v) })
	sameAsPlain(t, r, func(v FlowInstancesRequest) any { return plainFlowInstancesRequest(v) })
	sameAsPlain(t, r, func(v countsRequest) any { return plainCountsRequest(v) })
	sameAsPlain(t, r, func(v MessagesRequest) any { return plainMessagesRequest(v) })
}

// sameAsPlain encodes random values of T through encodeBody (as the client does), through
// json.Marshal (as anyone else would) and as its plain twin, and wants one answer.
func sameAsPlain[T any](t *testing.T, r *rand.Rand, plain func(T) any) {
	t.Helper()
	for range 2000 {
		var v T
		fill(r, reflect.ValueOf(&v).Elem())
		want, err := json.Marshal(plain(v))
		require.NoError(t, err)
		got, err := encodeBody(&v)
		require.NoError(t, err)
		if !assert.Equal(t, string(want), string(got), "%T %+v", v, v) {
			return
		}
		viaJSON, err := json.Marshal(v)
		require.NoError(t, err)
		require.Equal(t, string(want), string(viaJSON))
	}
}

// fill sets v to random contents: empty and zero often (what omitempty drops), and strings that
// encoding/json escapes.
func fill(r *rand.Rand, v reflect.Value) {
	strs := []string{"", "", "1550015555555555554", "TODO", "a b", `q"uote`, `back\slash`, "<&>",
		"é中", "\u2028", "\x01", "\xff"}
	switch v.Kind() {
	case reflect.String:
		v.SetString(strs[r.IntN(len(strs))])
	case reflect.Int, reflect.Int64:
		ints := []int64{0, 0, 1, -1, 20, 1 << 40, -1 << 62}
		v.SetInt(ints[r.IntN(len(ints))])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Pointer:
		if r.IntN(3) > 0 {
			p := reflect.New(v.Type().Elem())
			fill(r, p.Elem())
			v.Set(p)
		}
	case reflect.Slice:
		if n := r.IntN(4) - 1; n >= 0 { // nil, empty, or up to two elements
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := range n {
				fill(r, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			fill(r, v.Field(i))
		}
	default:
		panic("fill: no case for " + v.Type().String())
	}
}

func TestEncodeBodyOfANilRequest(t *testing.T) {
	got, err := encodeBody((*InstanceTasksRequest)(nil))
	require.NoError(t, err)
	assert.Equal(t, "null", string(got))
}
