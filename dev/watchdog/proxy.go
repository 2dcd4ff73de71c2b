package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// watchdog answers the health routes itself and forwards every other request to the function's HTTP server.
type watchdog struct {
	cfg      config
	client   *http.Client
	inflight atomic.Int64
}

func newWatchdog(cfg config) *watchdog {
	transport := &http.Transport{
		Proxy:               nil, // the function is local: never route it through HTTP_PROXY
		MaxIdleConns:        100,
		MaxIdleConnsPerHost: 100,
		IdleConnTimeout:     90 * time.Second,
	}
	client := &http.Client{
		Transport: transport,
		// A redirect is the function's answer to pass back, not one for the watchdog to follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &watchdog{cfg: cfg, client: client}
}

func (w *watchdog) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_/health", "/_/ready":
		w.health(rw, r)
	default:
		w.limit(rw, r)
	}
}

func (w *watchdog) health(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		rw.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path == "/_/ready" && w.cfg.maxInflight > 0 && w.inflight.Load() >= int64(w.cfg.maxInflight) {
		rw.WriteHeader(http.StatusTooManyRequests)
		return
	}
	if _, err := os.Stat(w.cfg.lockPath); err != nil {
		rw.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	rw.WriteHeader(http.StatusOK)
	_, _ = rw.Write([]byte("OK"))
}

// limit enforces max_inflight with the same answer as OpenFaaS's middleware.
func (w *watchdog) limit(rw http.ResponseWriter, r *http.Request) {
	n := w.inflight.Add(1)
	defer w.inflight.Add(-1)
	if w.cfg.maxInflight > 0 && n > int64(w.cfg.maxInflight) {
		rw.Header().Set("Content-Type", "text/plain")
		rw.Header().Set("X-OpenFaaS-Internal", "faas-middleware")
		rw.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprintf(rw, "Concurrent request limit exceeded. Max concurrent requests: %d", w.cfg.maxInflight)
		return
	}
	w.proxy(rw, r)
}

// timeoutFor is exec_timeout, lowered (never raised) by a valid X-Timeout header; 0 = no limit.
func (w *watchdog) timeoutFor(r *http.Request) time.Duration {
	limit := w.cfg.execTimeout
	if raw := r.Header.Get("X-Timeout"); raw != "" {
		if asked, err := time.ParseDuration(raw); err == nil && asked > 0 && (limit == 0 || asked <= limit) {
			limit = asked
		}
	}
	return limit
}

func (w *watchdog) proxy(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ctx := r.Context()
	if limit := w.timeoutFor(r); limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}

	target := w.cfg.upstreamURL + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	body := r.Body
	if r.ContentLength == 0 {
		body = http.NoBody
	}
	upstream, err := http.NewRequestWithContext(ctx, r.Method, target, body)
	if err != nil {
		w.fail(rw, r, start, http.StatusInternalServerError, err)
		return
	}
	upstream.Header = r.Header.Clone()
	upstream.Host = r.Host
	upstream.ContentLength = r.ContentLength

	res, err := w.client.Do(upstream)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			status = http.StatusGatewayTimeout
		}
		w.fail(rw, r, start, status, err)
		return
	}
	defer res.Body.Close()

	for name, values := range res.Header {
		rw.Header()[name] = values
	}
	rw.Header().Set("X-Duration-Seconds", seconds(start))
	rw.WriteHeader(res.StatusCode)
	written, copyErr := io.Copy(rw, res.Body)
	if copyErr != nil {
		log.Printf("%s %s - answer cut short after %dB: %v", r.Method, r.URL.Path, written, copyErr)
	}
	log.Printf("%s %s - %d %s - ContentLength: %dB (%ss)",
		r.Method, r.URL.Path, res.StatusCode, http.StatusText(res.StatusCode), written, seconds(start))
}

// fail answers 504 (exec timeout) or 500 (the function unreachable or broken) with an empty body.
func (w *watchdog) fail(rw http.ResponseWriter, r *http.Request, start time.Time, status int, err error) {
	rw.Header().Set("X-Duration-Seconds", seconds(start))
	rw.Header().Set("X-OpenFaaS-Internal", "of-watchdog")
	rw.WriteHeader(status)
	log.Printf("%s %s - %d %s - upstream: %v (%ss)",
		r.Method, r.URL.Path, status, http.StatusText(status), err, seconds(start))
}

func seconds(start time.Time) string { return fmt.Sprintf("%f", time.Since(start).Seconds()) }
