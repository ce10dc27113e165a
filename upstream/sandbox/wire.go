package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// cst is WeDa's time zone: its date strings carry +0800.
var cst = time.FixedZone("CST", 8*3600)

// sid is an id in a request: WeDa accepts it as a JSON string or number.
type sid string

func (s *sid) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*s = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = sid(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("an id must be a string or a number")
	}
	*s = sid(n)
	return nil
}

func sids(in []sid) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}

// userInfo is {UserId, Type}; Source is read too, as some of WeDa's own pages write it.
type userInfo struct {
	UserID sid  `json:"UserId"`
	Type   *int `json:"Type"`
	Source *int `json:"Source"`
}

func (u *userInfo) UnmarshalJSON(b []byte) error {
	type plain userInfo
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if p.Type == nil {
		p.Type = p.Source
	}
	*u = userInfo(p)
	return nil
}

// dateString is WeDa's "2022-08-02T14:17:15.000+0800", or null for a zero time.
func dateString(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.In(cst).Format("2006-01-02T15:04:05.000-0700")
}

// epochMS is epoch milliseconds; zero gives zero, as [12] 根据类型查询流程实例列表 writes "not yet".
func epochMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// epochOrNull is epoch milliseconds, or null for a zero time.
func epochOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// numberID writes a 19-digit id as a bare JSON number, as [9] 查询流程实例详情 does for StartUserId.
func numberID(id string) any {
	if id == "" {
		return nil
	}
	return json.Number(id)
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
