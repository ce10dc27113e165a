package upstream

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIDDecodesStringsAndNumbersExactly(t *testing.T) {
	cases := map[string]ID{
		`"1558049980829474819"`: "1558049980829474819",
		`1558049980829474819`:   "1558049980829474819", // > 2^53: float64 would give ...4820
		`9223372036854775807`:   "9223372036854775807",
		`null`:                  "",
		`" 42 "`:                "42",
	}
	for in, want := range cases {
		var id ID
		require.NoError(t, json.Unmarshal([]byte(in), &id), in)
		assert.Equal(t, want, id, in)
	}
	for _, bad := range []string{`{}`, `[1]`, `1.5e18`, `true`} {
		var id ID
		assert.Error(t, json.Unmarshal([]byte(bad), &id), bad)
	}
	b, err := json.Marshal(ID("1558049980829474819"))
	require.NoError(t, err)
	assert.Equal(t, `"1558049980829474819"`, string(b))
}

func TestIntAndOptInt(t *testing.T) {
	for in, want := range map[string]int64{`2`: 2, `"2"`: 2, `null`: 0, `""`: 0, `"27.0"`: 27, `-3`: -3} {
		var n Int
		require.NoError(t, json.Unmarshal([]byte(in), &n), in)
		assert.EqualValues(t, want, n, in)
	}
	var o OptInt
	require.NoError(t, json.Unmarshal([]byte(`null`), &o))
	assert.False(t, o.Valid)
	require.NoError(t, json.Unmarshal([]byte(`0`), &o))
	assert.Equal(t, Some(0), o, "0 is a code, not absence")
	var n Int
	assert.Error(t, json.Unmarshal([]byte(`"two"`), &n))
	assert.Error(t, json.Unmarshal([]byte(`"2.5"`), &n))
}

func TestTimeLayouts(t *testing.T) {
	want := time.Date(2022, 8, 2, 6, 17, 15, 0, time.UTC)
	for _, in := range []string{`1659421035000`, `"1659421035000"`, `"2022-08-02T14:17:15.000+0800"`,
		`"2022-08-02T14:17:15+0800"`, `"2022-08-02T06:17:15Z"`, `"2022-08-02T14:17:15+08:00"`} {
		var tm Time
		require.NoError(t, json.Unmarshal([]byte(in), &tm), in)
		assert.True(t, want.Equal(tm.Time), "%s → %v", in, tm.Time)
	}
	for _, zero := range []string{`null`, `0`, `""`, `"0"`} {
		var tm Time
		require.NoError(t, json.Unmarshal([]byte(zero), &tm), zero)
		assert.True(t, tm.IsZero(), zero)
	}
	var tm Time
	assert.Error(t, json.Unmarshal([]byte(`"next tuesday"`), &tm))
}

func TestUserInfoTypeOrSource(t *testing.T) {
	var a, b, c UserInfo
	require.NoError(t, json.Unmarshal([]byte(`{"UserId":"1","Type":4}`), &a))
	require.NoError(t, json.Unmarshal([]byte(`{"UserId":1519239780903088129,"Source":2}`), &b))
	require.NoError(t, json.Unmarshal([]byte(`null`), &c))
	assert.Equal(t, UserInfo{UserID: "1", Type: 4}, a)
	assert.Equal(t, UserInfo{UserID: "1519239780903088129", Type: 2}, b)
	assert.Equal(t, UserInfo{}, c)
	out, err := json.Marshal(UserInfo{UserID: "7", Type: 4})
	require.NoError(t, err)
	assert.JSONEq(t, `{"UserId":"7","Type":4}`, string(out))
}

func TestTextAndBool(t *testing.T) {
	var s Text
	require.NoError(t, json.Unmarshal([]byte(`false`), &s))
	assert.Equal(t, Text(""), s, "Description is typed bool in the vendor's table: false is none, not the text")
	require.NoError(t, json.Unmarshal([]byte(`12`), &s))
	assert.Equal(t, Text("12"), s)
	var v Bool
	for in, want := range map[string]bool{`true`: true, `"true"`: true, `1`: true, `null`: false, `false`: false, `"0"`: false} {
		require.NoError(t, json.Unmarshal([]byte(in), &v), in)
		assert.Equal(t, want, bool(v), in)
	}
}

func TestJSONObjectKeepsNumbersExact(t *testing.T) {
	var o JSONObject
	require.NoError(t, json.Unmarshal([]byte(`{"id":1558049980829474819,"nested":{"n":1.5}}`), &o))
	assert.Equal(t, json.Number("1558049980829474819"), o["id"])
	assert.Equal(t, json.Number("1.5"), o["nested"].(map[string]any)["n"])
}

func TestParseOperationContent(t *testing.T) {
	t.Run("revoke text", func(t *testing.T) {
		c := ParseOperationContent(`{"action":5,"operation":"发起人撤销"}`)
		assert.Equal(t, "发起人撤销", c.RevokeText)
		assert.True(t, c.Valid)
	})
	t.Run("empty and null", func(t *testing.T) {
		assert.False(t, ParseOperationContent("").Action.Valid)
		assert.False(t, ParseOperationContent("null").Valid)
	})
	t.Run("not JSON at all keeps raw, never fails", func(t *testing.T) {
		c := ParseOperationContent(`action=2; comment=ok`)
		assert.False(t, c.Valid)
		assert.Equal(t, `action=2; comment=ok`, c.Raw)
	})
	t.Run("broken JSON still yields the action", func(t *testing.T) {
		c := ParseOperationContent(`{"action":3,"operationComment":"no`)
		assert.False(t, c.Valid)
		assert.Equal(t, Some(3), c.Action)
	})
	t.Run("string opinionUserMap", func(t *testing.T) {
		c := ParseOperationContent(`{"action":13,"opinionUserMap":"{123:\"@a\"}"}`)
		assert.Equal(t, map[string]string{"123": "@a"}, c.Mentions)
	})
	t.Run("bare keys inside strings are left alone", func(t *testing.T) {
		assert.Equal(t, `{"a":"{1:2}","3":[4,5]}`, mendBareKeys(`{"a":"{1:2}",3:[4,5]}`))
		assert.Equal(t, `[1, 2, {"x":1}]`, mendBareKeys(`[1, 2, {x:1}]`))
		assert.Equal(t, `{"a":"q\"{1:2}"}`, mendBareKeys(`{"a":"q\"{1:2}"}`))
	})
}

func TestZonelessTimesAreWeDasWallClock(t *testing.T) {
	var got struct{ At Time }
	require.NoError(t, json.Unmarshal([]byte(`{"At":"2022-08-02 14:17:15"}`), &got))
	assert.True(t, got.At.Equal(time.Date(2022, 8, 2, 6, 17, 15, 0, time.UTC)), "read at +08:00, not UTC: %v", got.At)

	// An operator whose WeDa runs in another zone re-reads the wall clock there.
	tokyo := time.FixedZone("UTC+09:00", 9*60*60)
	rezone(&got, tokyo)
	assert.True(t, got.At.Equal(time.Date(2022, 8, 2, 5, 17, 15, 0, time.UTC)), "%v", got.At)

	// A time that names its zone never moves.
	var named struct{ At Time }
	require.NoError(t, json.Unmarshal([]byte(`{"At":"2022-08-02T14:17:15.000+0800"}`), &named))
	rezone(&named, tokyo)
	assert.True(t, named.At.Equal(time.Date(2022, 8, 2, 6, 17, 15, 0, time.UTC)))
}

// jsonString's shortcut reads every JSON string token as encoding/json does, or refuses it alike.
func FuzzJSONString(f *testing.F) {
	for _, seed := range []string{`"a"`, `"李华"`, `"a\"b"`, `"\u00e9"`, `""`, "\"\xff\"", "\"a\tb\"", `"a\\b"`, `"1558049980829474819"`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want string
		wantErr := json.Unmarshal(b, &want)
		got, err := jsonString(b)
		if wantErr == nil && (err != nil || got != want) {
			t.Fatalf("%q: got %q, %v; encoding/json reads %q", b, got, err, want)
		}
		if wantErr != nil && err == nil && json.Valid(b) {
			t.Fatalf("%q: accepted what encoding/json refuses: %v", b, wantErr)
		}
	})
}

// UserInfo's hand-written encoding is byte for byte encoding/json's.
func TestUserInfoEncodesAsEncodingJSON(t *testing.T) {
	for _, id := range []string{"", "1550015555555555554", "kong test", `a"b`, `back\slash`, "<&>", "tab\there", "用户", "\x7f", "\xff"} {
		for _, typ := range []int{0, 4, -1} {
			assertUserInfoLikeEncodingJSON(t, id, typ)
		}
	}
}

func FuzzUserInfoEncoding(f *testing.F) {
	f.Add("1550015555555555554", 4)
	f.Add(`"<\u2028>"`, -7)
	f.Fuzz(assertUserInfoLikeEncodingJSON)
}

func assertUserInfoLikeEncodingJSON(t *testing.T, id string, typ int) {
	want, err := json.Marshal(struct {
		UserID ID  `json:"UserId"`
		Type   int `json:"Type"`
	}{ID(id), typ})
	require.NoError(t, err)
	got, err := json.Marshal(UserInfo{UserID: ID(id), Type: typ})
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}
