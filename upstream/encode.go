package upstream

import (
	"encoding/json"
	"reflect"
	"strconv"
)

// Every resolver that reads sends one of the request bodies below, and the loaders key their
// memo on the same bytes. encoding/json spends most of that on reflection and on growing the
// small stack of the resolver's goroutine; these write the body directly instead, byte for byte
// what encoding/json writes for the struct's tags (encode_test.go compares the two on random
// values). Writes, rarer, keep encoding/json.

// object writes a JSON object one member at a time.
type object struct{ b []byte }

func newObject(size int) object { return object{b: append(make([]byte, 0, size), '{')} }

func (o *object) key(k string) {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = append(append(append(o.b, '"'), k...), `":`...)
}

func (o *object) str(k, v string, omitEmpty bool) {
	if omitEmpty && v == "" {
		return
	}
	o.key(k)
	o.b = appendJSONString(o.b, v)
}

func (o *object) int(k string, v int64, omitEmpty bool) {
	if omitEmpty && v == 0 {
		return
	}
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

func (o *object) user(k string, u *UserInfo) { // a nil user is left out
	if u == nil {
		return
	}
	o.key(k)
	o.b = u.appendJSON(o.b)
}

func (o *object) boolPtr(k string, v *bool) { // nil is left out
	if v == nil {
		return
	}
	o.key(k)
	o.b = strconv.AppendBool(o.b, *v)
}

func (o *object) end() ([]byte, error) { return append(o.b, '}'), nil }

// strs writes a list of strings, left out when empty (omitempty).
func strs[S ~string](o *object, k string, v []S) {
	if len(v) == 0 {
		return
	}
	o.key(k)
	o.b = append(o.b, '[')
	for i, s := range v {
		if i > 0 {
			o.b = append(o.b, ',')
		}
		o.b = appendJSONString(o.b, string(s))
	}
	o.b = append(o.b, ']')
}

// appendJSONString appends s quoted as encoding/json quotes it (HTML characters escaped).
func appendJSONString(b []byte, s string) []byte {
	if plainJSONString(s) {
		return append(append(append(b, '"'), s...), '"')
	}
	quoted, _ := json.Marshal(s) // a string always encodes
	return append(b, quoted...)
}

// plainJSONString reports whether encoding/json writes s between quotes as it is: printable
// ASCII with nothing it escapes.
func plainJSONString(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// MarshalJSON implements json.Marshaler. Nearly every read's body carries a UserInfo.
func (u UserInfo) MarshalJSON() ([]byte, error) {
	return u.appendJSON(make([]byte, 0, len(`{"UserId":"","Type":}`)+len(u.UserID)+4)), nil
}

func (u *UserInfo) appendJSON(b []byte) []byte {
	b = appendJSONString(append(b, `{"UserId":`...), string(u.UserID))
	b = strconv.AppendInt(append(b, `,"Type":`...), int64(u.Type), 10)
	return append(b, '}')
}

// MarshalJSON implements json.Marshaler.
func (r WorkItemsRequest) MarshalJSON() ([]byte, error) {
	o := newObject(128)
	o.user("UserInfo", &r.UserInfo)
	o.str("PageType", r.PageType, false)
	o.int("PageNumber", int64(r.PageNumber), true)
	o.int("PageSize", int64(r.PageSize), true)
	o.str("Sort", r.Sort, true)
	o.str("Order", r.Order, true)
	return o.end()
}

// MarshalJSON implements json.Marshaler.
func (r InstanceTasksRequest) MarshalJSON() ([]byte, error) {
	o := newObject(64)
	o.str("InstanceId", string(r.InstanceID), false)
	o.user("TaskAssignee", r.TaskAssignee)
	strs(&o, "TaskIds", r.TaskIDs)
	o.int("TaskType", int64(r.TaskType), true)
	strs(&o, "ElementIds", r.ElementIDs)
	o.str("FlowCode", string(r.FlowCode), true)
	o.int("TaskStatus", int64(r.TaskStatus), true)
	o.user("StartUser", r.StartUser)
	o.boolPtr("IsCarbonCopyTask", r.IsCarbonCopyTask)
	o.int("StartTime", r.StartTime, true)
	o.int("EndTime", r.EndTime, true)
	o.int("PageNumber", int64(r.PageNumber), true)
	o.int("PageSize", int64(r.PageSize), true)
	return o.end()
}

// MarshalJSON implements json.Marshaler.
func (r InstanceOperationsRequest) MarshalJSON() ([]byte, error) {
	o := newObject(64)
	o.str("InstanceId", string(r.InstanceID), false)
	strs(&o, "ElementIds", r.ElementIDs)
	o.user("OperatorUser", r.OperatorUser)
	o.int("PageNumber", int64(r.PageNumber), true)
	o.int("PageSize", int64(r.PageSize), true)
	return o.end()
}

// MarshalJSON implements json.Marshaler.
func (r DescribeInstanceRequest) MarshalJSON() ([]byte, error) {
	o := newObject(96)
	o.str("FlowTaskId", string(r.FlowTaskID), false)
	o.str("PageType", r.PageType, false)
	o.user("UserInfo", r.UserInfo)
	return o.end()
}

// MarshalJSON implements json.Marshaler.
func (r ApprovalPageRequest) MarshalJSON() ([]byte, error) {
	o := newObject(128)
	o.str("InstanceId", string(r.InstanceID), false)
	o.str("FlowCode", string(r.FlowCode), false)
	o.str("NodeId", r.NodeID, false)
	o.boolPtr("IsCompleted", r.IsCompleted)
	o.str("PageType", r.PageType, false)
	o.str("TaskId", string(r.TaskID), false)
	o.str("Id", string(r.CcID), true)
	return o.end()
}

// MarshalJSON implements json.Marshaler.
func (r FlowInstancesRequest) MarshalJSON() ([]byte, error) {
	o := newObject(128)
	o.str("FlowCode", string(r.FlowCode), true)
	o.str("ProcessKey", r.ProcessKey, true)
	o.str("FlowVersion", r.FlowVersion, true)
	o.str("StartUserId", string(r.StartUserID), true)
	o.int("StartTime", r.StartTime, true)
	o.int("EndTime", r.EndTime, true)
	o.int("Status", int64(r.Status), true)
	o.int("PageNumber", int64(r.PageNumber), true)
	o.int("PageSize", int64(r.PageSize), true)
	o.str("Sort", r.Sort, true)
	o.str("Order", r.Order, true)
	return o.end()
}

// countsRequest is ListProcessInstancesCount's body [13].
type countsRequest struct {
	UserInfo UserInfo `json:"UserInfo"`
	PageType string   `json:"PageType,omitempty"`
}

// MarshalJSON implements json.Marshaler.
func (r countsRequest) MarshalJSON() ([]byte, error) {
	o := newObject(64)
	o.user("UserInfo", &r.UserInfo)
	o.str("PageType", r.PageType, true)
	return o.end()
}

// MarshalJSON implements json.Marshaler.
func (r MessagesRequest) MarshalJSON() ([]byte, error) {
	o := newObject(96)
	o.user("UserInfo", &r.UserInfo)
	o.int("PageNo", int64(r.PageNo), false)
	o.int("PageSize", int64(r.PageSize), false)
	o.str("SearchTitleName", r.SearchTitleName, true)
	if r.MessageType != nil {
		o.int("MessageType", int64(*r.MessageType), false)
	}
	o.str("Status", r.Status, true)
	return o.end()
}

// encodeBody encodes a request body: directly when it writes itself, with encoding/json
// otherwise. A hand-written MarshalJSON here is checked against encoding/json by the tests, so
// the validation pass json.Marshal makes over its output is skipped.
func encodeBody(v any) ([]byte, error) {
	if m, ok := v.(json.Marshaler); ok && !nilPointer(v) {
		return m.MarshalJSON()
	}
	return json.Marshal(v)
}

func nilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}
