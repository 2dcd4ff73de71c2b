package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain doubles as the function under test: with WATCHDOG_TEST_FUNCTION=1 the test binary is the forked
// process (an HTTP server on http_port), so the lifecycle tests need nothing but Go.
func TestMain(m *testing.M) {
	if os.Getenv("WATCHDOG_TEST_FUNCTION") == "1" {
		serveTestFunction()
		return
	}
	os.Exit(m.Run())
}

type echoed struct {
	Method  string              `json:"method"`
	Path    string              `json:"path"`
	Query   string              `json:"query"`
	Host    string              `json:"host"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

func echoHandler(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("X-Function", "echo")
	rw.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(rw).Encode(echoed{r.Method, r.URL.Path, r.URL.RawQuery, r.Host, r.Header, string(body)})
}

func sleepHandler(rw http.ResponseWriter, r *http.Request) {
	ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		_, _ = rw.Write([]byte("slept"))
	case <-r.Context().Done():
	}
}

func serveTestFunction() {
	fmt.Println("function: starting")
	mux := http.NewServeMux()
	mux.HandleFunc("/sleep", sleepHandler)
	mux.HandleFunc("/exit", func(rw http.ResponseWriter, r *http.Request) {
		rw.WriteHeader(http.StatusAccepted)
		go func() { time.Sleep(50 * time.Millisecond); os.Exit(3) }()
	})
	mux.HandleFunc("/", echoHandler)
	terms := make(chan os.Signal, 1)
	signal.Notify(terms, syscall.SIGTERM)
	go func() {
		<-terms
		_ = os.WriteFile(os.Getenv("SIGTERM_MARKER"), []byte("got SIGTERM"), 0o644)
		os.Exit(0)
	}()
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("http_port"), mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func env(values map[string]string) func(string) string {
	return func(name string) string { return values[name] }
}

func TestParseDuration(t *testing.T) {
	cases := []struct {
		raw  string
		want time.Duration
		ok   bool
	}{
		{"", 7 * time.Second, true},
		{"10s", 10 * time.Second, true},
		{"1m", time.Minute, true},
		{"1m30s", 90 * time.Second, true},
		{"30", 30 * time.Second, true},
		{"0", 0, true},
		{"250ms", 250 * time.Millisecond, true},
		{"ten", 0, false},
		{"-5s", 0, false},
	}
	for _, c := range cases {
		got, err := parseDuration(c.raw, 7*time.Second)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, ok=%v", c.raw, got, err, c.want, c.ok)
		}
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{
		"mode": "http", "fprocess": "node  index.js", "upstream_url": "http://127.0.0.1:3000/",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.process, "|") != "node|index.js" || cfg.upstreamURL != "http://127.0.0.1:3000" {
		t.Errorf("process/upstream: %q %q", cfg.process, cfg.upstreamURL)
	}
	if cfg.port != 8080 || cfg.execTimeout != 30*time.Second || cfg.writeTimeout != 30*time.Second ||
		cfg.readTimeout != 30*time.Second || cfg.healthcheckInterval != cfg.writeTimeout {
		t.Errorf("defaults: %+v", cfg)
	}
	if cfg.maxInflight != 0 || !cfg.prefixLogs || cfg.lockPath != "/tmp/.lock" {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestLoadConfigReadsEverySetting(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{
		"function_process": "./handler", "http_upstream_url": "http://127.0.0.1:5000", "port": "9000",
		"read_timeout": "5", "write_timeout": "15s", "exec_timeout": "0", "healthcheck_interval": "1s",
		"max_inflight": "4", "prefix_logs": "false", "lock_path": "/tmp/x/.lock",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := config{
		process: []string{"./handler"}, upstreamURL: "http://127.0.0.1:5000", port: 9000,
		readTimeout: 5 * time.Second, writeTimeout: 15 * time.Second, execTimeout: 0,
		healthcheckInterval: time.Second, maxInflight: 4, prefixLogs: false, lockPath: "/tmp/x/.lock",
	}
	if fmt.Sprintf("%+v", cfg) != fmt.Sprintf("%+v", want) {
		t.Errorf("got %+v\nwant %+v", cfg, want)
	}
}

func TestLoadConfigRefusesBadSettings(t *testing.T) {
	base := map[string]string{"fprocess": "node index.js", "upstream_url": "http://127.0.0.1:3000"}
	bad := map[string]string{
		"mode": "streaming", "fprocess": " ", "upstream_url": "127.0.0.1:3000", "port": "http",
		"exec_timeout": "soon", "write_timeout": "0", "max_inflight": "-1", "prefix_logs": "maybe",
	}
	for name, value := range bad {
		values := map[string]string{}
		for k, v := range base {
			values[k] = v
		}
		values[name] = value
		if _, err := loadConfig(env(values)); err == nil {
			t.Errorf("%s=%q was accepted", name, value)
		}
	}
}

// front starts a watchdog handler (in process) in front of upstream with the given changes to its config.
func front(t *testing.T, upstream string, change func(*config)) (*httptest.Server, *config) {
	t.Helper()
	cfg := config{
		process: []string{"unused"}, upstreamURL: upstream, port: 0, readTimeout: 5 * time.Second,
		writeTimeout: 5 * time.Second, execTimeout: 5 * time.Second, lockPath: filepath.Join(t.TempDir(), ".lock"),
	}
	if change != nil {
		change(&cfg)
	}
	server := httptest.NewServer(newWatchdog(cfg))
	t.Cleanup(server.Close)
	return server, &cfg
}

func TestProxiesPathQueryHeadersAndBody(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer upstream.Close()
	wd, _ := front(t, upstream.URL, nil)

	req, _ := http.NewRequest(http.MethodPut, wd.URL+"/a/b%20c?x=1&x=2&y=%C3%A9", strings.NewReader(`{"n":"ünï"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Call-Id", "call-1")
	req.Header.Add("X-Many", "one")
	req.Header.Add("X-Many", "two")
	req.Host = "gateway.local"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated || res.Header.Get("X-Function") != "echo" {
		t.Fatalf("status %d, headers %v", res.StatusCode, res.Header)
	}
	if d, err := strconv.ParseFloat(res.Header.Get("X-Duration-Seconds"), 64); err != nil || d < 0 {
		t.Errorf("X-Duration-Seconds = %q", res.Header.Get("X-Duration-Seconds"))
	}
	var got echoed
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Method != "PUT" || got.Path != "/a/b c" || got.Query != "x=1&x=2&y=%C3%A9" || got.Body != `{"n":"ünï"}` {
		t.Errorf("upstream saw %+v", got)
	}
	if got.Host != "gateway.local" || got.Headers["X-Call-Id"][0] != "call-1" ||
		strings.Join(got.Headers["X-Many"], ",") != "one,two" || got.Headers["Content-Type"][0] != "application/json" {
		t.Errorf("headers not copied: host %q, %v", got.Host, got.Headers)
	}
}

func TestPassesRedirectsAndErrorsThrough(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(rw, r, "/elsewhere", http.StatusFound)
			return
		}
		http.Error(rw, "bad input", http.StatusUnprocessableEntity)
	}))
	defer upstream.Close()
	wd, _ := front(t, upstream.URL, nil)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	res, err := client.Get(wd.URL + "/moved")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/elsewhere" {
		t.Errorf("redirect: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, err = client.Post(wd.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnprocessableEntity || string(body) != "bad input\n" {
		t.Errorf("error answer: %d %q", res.StatusCode, body)
	}
}

func assertTimedOut(t *testing.T, res *http.Response) {
	t.Helper()
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusGatewayTimeout || len(body) != 0 ||
		res.Header.Get("X-OpenFaaS-Internal") != "of-watchdog" || res.Header.Get("X-Duration-Seconds") == "" {
		t.Errorf("want an empty 504 from the watchdog, got %d %q %v", res.StatusCode, body, res.Header)
	}
}

func TestExecTimeoutAnswers504(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(sleepHandler))
	defer upstream.Close()
	wd, _ := front(t, upstream.URL, func(c *config) { c.execTimeout = 100 * time.Millisecond })

	started := time.Now()
	res, err := http.Get(wd.URL + "/sleep?ms=2000")
	if err != nil {
		t.Fatal(err)
	}
	assertTimedOut(t, res)
	if elapsed := time.Since(started); elapsed > time.Second {
		t.Errorf("timeout took %s", elapsed)
	}
	res, err = http.Get(wd.URL + "/sleep?ms=10")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("a quick call got %d", res.StatusCode)
	}
}

func TestXTimeoutLowersButNeverRaisesTheLimit(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(sleepHandler))
	defer upstream.Close()
	wd, _ := front(t, upstream.URL, func(c *config) { c.execTimeout = 300 * time.Millisecond })

	req, _ := http.NewRequest(http.MethodGet, wd.URL+"/sleep?ms=150", nil)
	req.Header.Set("X-Timeout", "50ms")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	assertTimedOut(t, res)

	req, _ = http.NewRequest(http.MethodGet, wd.URL+"/sleep?ms=600", nil)
	req.Header.Set("X-Timeout", "10s")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	assertTimedOut(t, res)
}

func TestNoExecTimeoutWhenZero(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(sleepHandler))
	defer upstream.Close()
	wd, _ := front(t, upstream.URL, func(c *config) { c.execTimeout = 0 })
	res, err := http.Get(wd.URL + "/sleep?ms=200")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "slept" {
		t.Errorf("got %d %q", res.StatusCode, body)
	}
}

func TestUnreachableFunctionAnswers500(t *testing.T) {
	listener, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + listener.Addr().String()
	listener.Close()
	wd, _ := front(t, closed, nil)
	res, err := http.Post(wd.URL+"/", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusInternalServerError || len(body) != 0 ||
		res.Header.Get("X-OpenFaaS-Internal") != "of-watchdog" {
		t.Errorf("got %d %q %v", res.StatusCode, body, res.Header)
	}
}

func TestMaxInflightAnswers429(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 4)
	upstream := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		_, _ = rw.Write([]byte("done"))
	}))
	defer upstream.Close()
	wd, _ := front(t, upstream.URL, func(c *config) { c.maxInflight = 1 })

	var wg sync.WaitGroup
	wg.Add(1)
	firstStatus := 0
	go func() {
		defer wg.Done()
		if res, err := http.Get(wd.URL + "/slow"); err == nil {
			firstStatus = res.StatusCode
			res.Body.Close()
		}
	}()
	<-entered

	res, err := http.Get(wd.URL + "/second")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests ||
		string(body) != "Concurrent request limit exceeded. Max concurrent requests: 1" ||
		res.Header.Get("X-OpenFaaS-Internal") != "faas-middleware" || res.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("got %d %q %v", res.StatusCode, body, res.Header)
	}
	ready, err := http.Get(wd.URL + "/_/ready")
	if err != nil {
		t.Fatal(err)
	}
	ready.Body.Close()
	if ready.StatusCode != http.StatusTooManyRequests {
		t.Errorf("/_/ready at the limit: %d", ready.StatusCode)
	}
	close(release)
	wg.Wait()
	if firstStatus != http.StatusOK {
		t.Errorf("first call: %d", firstStatus)
	}
}

func TestHealthRoutesFollowTheLockFile(t *testing.T) {
	wd, cfg := front(t, "http://127.0.0.1:1", nil)
	get := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, wd.URL+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	for _, path := range []string{"/_/health", "/_/ready"} {
		if status, _ := get(http.MethodGet, path); status != http.StatusServiceUnavailable {
			t.Errorf("%s without lock: %d", path, status)
		}
	}
	if err := writeLock(cfg.lockPath); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/_/health", "/_/ready"} {
		if status, body := get(http.MethodGet, path); status != http.StatusOK || body != "OK" {
			t.Errorf("%s with lock: %d %q", path, status, body)
		}
		if status, _ := get(http.MethodPost, path); status != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: %d", path, status)
		}
	}
}

// --- the built binary, with this test binary as its function ---

func freePort(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return strconv.Itoa(listener.Addr().(*net.TCPAddr).Port)
}

type started struct {
	cmd    *exec.Cmd
	url    string
	lock   string
	marker string
	output *lockedWriter
	done   chan error
}

func startWatchdog(t *testing.T, extra ...string) *started {
	t.Helper()
	dir := t.TempDir()
	binary := filepath.Join(dir, "watchdog")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port, functionPort := freePort(t), freePort(t)
	s := &started{
		url: "http://127.0.0.1:" + port, lock: filepath.Join(dir, "run", ".lock"),
		marker: filepath.Join(dir, "sigterm"), output: &lockedWriter{}, done: make(chan error, 1),
	}
	s.cmd = exec.Command(binary)
	s.cmd.Env = append(os.Environ(),
		"mode=http", "fprocess="+os.Args[0], "upstream_url=http://127.0.0.1:"+functionPort, "port="+port,
		"http_port="+functionPort, "lock_path="+s.lock, "WATCHDOG_TEST_FUNCTION=1", "SIGTERM_MARKER="+s.marker,
		"write_timeout=2s", "healthcheck_interval=100ms")
	s.cmd.Env = append(s.cmd.Env, extra...)
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() { _ = s.cmd.Process.Kill() })

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(s.url + "/echo"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusCreated {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the function never answered through the watchdog; output:\n%s", s.output)
	return nil
}

// lockedWriter collects the watchdog's stdout and stderr (written from two goroutines).
type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func (s *started) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("the watchdog did not exit; output:\n%s", s.output)
		return nil
	}
}

func TestBinaryStopsCleanlyOnSIGTERM(t *testing.T) {
	s := startWatchdog(t, "prefix_logs=true")
	if _, err := os.Stat(s.lock); err != nil {
		t.Fatalf("lock file missing while running: %v", err)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.wait(t); err != nil {
		t.Errorf("exit after SIGTERM: %v\n%s", err, s.output)
	}
	if _, err := os.Stat(s.lock); !os.IsNotExist(err) {
		t.Errorf("lock file left behind: %v", err)
	}
	if marker, err := os.ReadFile(s.marker); err != nil || string(marker) != "got SIGTERM" {
		t.Errorf("the function did not get SIGTERM: %v", err)
	}
	if !strings.Contains(s.output.String(), "stdout: function: starting") {
		t.Errorf("prefix_logs=true should prefix the function's output:\n%s", s.output)
	}
}

func TestBinaryExitsWhenTheFunctionExits(t *testing.T) {
	s := startWatchdog(t, "prefix_logs=false")
	res, err := http.Get(s.url + "/exit")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	err = s.wait(t)
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Errorf("want the function's exit code 3, got %v\n%s", err, s.output)
	}
	if _, err := os.Stat(s.lock); !os.IsNotExist(err) {
		t.Errorf("lock file left behind: %v", err)
	}
	out := s.output.String()
	if !strings.Contains(out, "\nfunction: starting\n") && !strings.HasPrefix(out, "function: starting\n") {
		t.Errorf("prefix_logs=false should pass the function's output through raw:\n%s", out)
	}
}
