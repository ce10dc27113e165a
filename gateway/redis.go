package gateway

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// connectRedis opens REDIS_URL and checks it answers: an operator who named it relies on it.
func connectRedis(url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if opts.TLSConfig != nil {
		// A plain Redis never answers a TLS handshake: it waits for a line that never comes, and
		// the start would fail after 5s as "context deadline exceeded". Asking first in plain
		// protocol names the mistake at once.
		if err := plainRedisAt(ctx, opts.Network, opts.Addr); err != nil {
			return nil, err
		}
	}
	client := redis.NewClient(opts)
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		if opts.TLSConfig != nil && isTLSError(err) {
			return nil, fmt.Errorf("REDIS_URL: the TLS handshake with %s failed: %w", opts.Addr, err)
		}
		return nil, fmt.Errorf("REDIS_URL does not answer: %w", err)
	}
	return client, nil
}

// plainTLSProbe bounds the plain-protocol question: a TLS server does not answer it in Redis's
// protocol, and may not answer at all.
const plainTLSProbe = 2 * time.Second

// plainRedisAt reports, as an error, a server that answers a plain PING where rediss:// expects
// TLS. Anything else (a TLS alert, silence, a refused connection) is left to the real connection.
func plainRedisAt(ctx context.Context, network, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, plainTLSProbe)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return nil
	}
	first, err := bufio.NewReader(conn).ReadByte()
	if err != nil || (first != '+' && first != '-') {
		return nil
	}
	return fmt.Errorf("REDIS_URL: rediss:// asks for TLS, but %s answers in Redis's plain protocol, without TLS: "+
		"use redis://, or turn TLS on in Redis", addr)
}

func isTLSError(err error) bool {
	var (
		header  tls.RecordHeaderError
		alert   tls.AlertError
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
	)
	return errors.As(err, &header) || errors.As(err, &alert) || errors.As(err, &verify) || errors.As(err, &unknown) ||
		errors.As(err, &host)
}
