package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// config is the watchdog's environment, read once at start (the variables and defaults of of-watchdog's
// mode=http, plus lock_path).
type config struct {
	process             []string      // fprocess, split on spaces; run without a shell
	upstreamURL         string        // upstream_url, without a trailing slash
	port                int           // port
	readTimeout         time.Duration // read_timeout: the HTTP server's limit for reading a request
	writeTimeout        time.Duration // write_timeout: the HTTP server's limit for writing an answer; > 0
	execTimeout         time.Duration // exec_timeout: a call's limit upstream; 0 = none
	healthcheckInterval time.Duration // healthcheck_interval: wait after SIGTERM before draining
	maxInflight         int           // max_inflight: concurrent calls allowed; 0 = unlimited
	prefixLogs          bool          // prefix_logs: false lets the child's stdout/stderr through untouched
	lockPath            string        // lock_path: the readiness file the health routes look for
}

const defaultTimeout = 30 * time.Second

// loadConfig reads the watchdog's settings through getenv (os.Getenv in main, a map in tests).
// Unlike of-watchdog, a malformed value is an error rather than a silent default.
func loadConfig(getenv func(string) string) (config, error) {
	first := func(names ...string) string {
		for _, name := range names {
			if value := strings.TrimSpace(getenv(name)); value != "" {
				return value
			}
		}
		return ""
	}
	cfg := config{lockPath: "/tmp/.lock", prefixLogs: true}

	if mode := first("mode"); mode != "" && mode != "http" {
		return cfg, fmt.Errorf("mode %q is not supported: this stand-in implements mode=http only", mode)
	}
	cfg.process = strings.Fields(first("fprocess", "function_process"))
	if len(cfg.process) == 0 {
		return cfg, fmt.Errorf("fprocess is required (the function's command, e.g. \"node index.js\")")
	}
	upstream := first("upstream_url", "http_upstream_url")
	parsed, err := url.Parse(upstream)
	if upstream == "" || err != nil || parsed.Scheme == "" || parsed.Host == "" {
		return cfg, fmt.Errorf("upstream_url must be an absolute URL such as http://127.0.0.1:3000, got %q", upstream)
	}
	cfg.upstreamURL = strings.TrimSuffix(upstream, "/")

	cfg.port = 8080
	if raw := first("port"); raw != "" {
		if cfg.port, err = strconv.Atoi(raw); err != nil || cfg.port < 0 || cfg.port > 65535 {
			return cfg, fmt.Errorf("port must be a TCP port number, got %q", raw)
		}
	}
	durations := []struct {
		name   string
		target *time.Duration
		def    time.Duration
	}{
		{"read_timeout", &cfg.readTimeout, defaultTimeout},
		{"write_timeout", &cfg.writeTimeout, defaultTimeout},
		{"exec_timeout", &cfg.execTimeout, defaultTimeout},
	}
	for _, d := range durations {
		if *d.target, err = parseDuration(first(d.name), d.def); err != nil {
			return cfg, fmt.Errorf("%s: %w", d.name, err)
		}
	}
	if cfg.writeTimeout <= 0 {
		return cfg, fmt.Errorf("write_timeout must be greater than zero")
	}
	if cfg.healthcheckInterval, err = parseDuration(first("healthcheck_interval"), cfg.writeTimeout); err != nil {
		return cfg, fmt.Errorf("healthcheck_interval: %w", err)
	}
	if raw := first("max_inflight"); raw != "" {
		if cfg.maxInflight, err = strconv.Atoi(raw); err != nil || cfg.maxInflight < 0 {
			return cfg, fmt.Errorf("max_inflight must be a whole number >= 0, got %q", raw)
		}
	}
	if raw := first("prefix_logs"); raw != "" {
		if cfg.prefixLogs, err = strconv.ParseBool(raw); err != nil {
			return cfg, fmt.Errorf("prefix_logs must be true or false, got %q", raw)
		}
	}
	if raw := first("lock_path"); raw != "" {
		cfg.lockPath = raw
	}
	return cfg, nil
}

// parseDuration accepts Go durations ("10s", "1m30s") and whole seconds ("30"), as of-watchdog does;
// empty means fallback. Negative values are refused.
func parseDuration(raw string, fallback time.Duration) (time.Duration, error) {
	if raw == "" {
		return fallback, nil
	}
	var d time.Duration
	if seconds, err := strconv.Atoi(raw); err == nil {
		d = time.Duration(seconds) * time.Second
	} else if d, err = time.ParseDuration(raw); err != nil {
		return 0, fmt.Errorf("%q is neither a duration (10s, 1m) nor whole seconds", raw)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", raw)
	}
	return d, nil
}
