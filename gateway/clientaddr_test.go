package gateway_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wedagraph/gateway/gateway"
)

// The test's requests come from 127.0.0.1, here the trusted proxy; each request names no user, so
// the address stage counts it.

// TestSpoofedForwardedIsIgnored: behind a proxy that appends X-Forwarded-For, a client that adds
// its own Forwarded header (a new address each time) is still one client, and is cut at the
// limit. With TRUSTED_PROXY_HEADER=Forwarded, it is X-Forwarded-For that the client cannot spoof.
func TestSpoofedForwardedIsIgnored(t *testing.T) {
	t.Run("the proxy sets X-Forwarded-For", func(t *testing.T) {
		h := newHarness(t, addressLimit(30, "127.0.0.0/8"))
		statuses := statusCounts(40, func(i int) int {
			return unauthenticated(h, map[string]string{"Forwarded": fmt.Sprintf("for=203.0.113.%d", i),
				"X-Forwarded-For": "198.51.100.9"})
		})
		assert.Equal(t, map[int]int{401: 30, 429: 10}, statuses)
	})
	t.Run("the proxy sets Forwarded", func(t *testing.T) {
		h := newHarness(t, addressLimit(30, "127.0.0.0/8"), func(c *gateway.Config) { c.Limits.ProxyHeader = "Forwarded" })
		statuses := statusCounts(40, func(i int) int {
			return unauthenticated(h, map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i),
				"Forwarded": `for="[2001:db8::9]:4711";proto=https`})
		})
		assert.Equal(t, map[int]int{401: 30, 429: 10}, statuses)
	})
}

// TestIPv6ClientsCountPerPrefix: one host holds a whole /64 and can rotate through it; a /64 is
// one client (RATE_LIMIT_IPV6_PREFIX), and the next /64 another.
func TestIPv6ClientsCountPerPrefix(t *testing.T) {
	from := func(a string) map[string]string { return map[string]string{"X-Forwarded-For": a} }
	h := newHarness(t, addressLimit(2, "127.0.0.0/8"))
	var got []int
	for _, a := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff::2", "2001:db8:1:2:abcd:1234:5678:9abc"} {
		got = append(got, unauthenticated(h, from(a)))
	}
	assert.Equal(t, []int{401, 401, 429}, got, "three addresses of one /64")
	assert.Equal(t, 401, unauthenticated(h, from("2001:db8:1:3::1")), "the next /64 has a budget of its own")

	perAddress := newHarness(t, addressLimit(2, "127.0.0.0/8"), func(c *gateway.Config) { c.Limits.IPv6Prefix = 128 })
	for _, a := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2::3"} {
		assert.Equal(t, 401, unauthenticated(perAddress, from(a)), "RATE_LIMIT_IPV6_PREFIX=128: each address alone")
	}
}
