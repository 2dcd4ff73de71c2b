// Command dataplatform-watchdog is the project's stand-in for the OpenFaaS of-watchdog in mode=http, for
// machines where the real one cannot be installed. It forks the function's process once (fprocess), forwards
// every HTTP request to it (upstream_url) with of-watchdog's timeouts, concurrency limit and headers, answers
// /_/health and /_/ready from a lock file, and stops with its child. Written from the documented behaviour
// (see the project's OpenFaaS reference, §2); no OpenFaaS code is used.
//
// Differences from of-watchdog: only mode=http; no metrics port (8081); no ready_path or suppress_lock;
// it listens on bind_address (default 127.0.0.1, where the real one listens on all interfaces); malformed
// settings stop it at start instead of falling back to defaults. lock_path (default /tmp/.lock, as
// of-watchdog) is configurable because several watchdogs share one host here, unlike one per container.
package main

import (
	"bytes"
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func main() {
	log.SetFlags(log.LstdFlags)
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		log.Printf("watchdog: %v", err)
		os.Exit(1)
	}
	os.Exit(run(cfg, bindAddress()))
}

func bindAddress() string {
	if host := os.Getenv("bind_address"); host != "" {
		return host
	}
	return "127.0.0.1"
}

// run forks the function, serves until a signal or the function's exit, and returns the exit code.
func run(cfg config, host string) int {
	child := exec.Command(cfg.process[0], cfg.process[1:]...)
	child.Env = os.Environ()
	var stdout, stderr *linePrefixer
	if cfg.prefixLogs {
		stdout, stderr = &linePrefixer{name: "stdout"}, &linePrefixer{name: "stderr"}
		child.Stdout, child.Stderr = stdout, stderr
	} else {
		child.Stdout, child.Stderr = os.Stdout, os.Stderr
	}
	// Stop waiting for output pipes that a grandchild keeps open once the function itself is gone.
	child.WaitDelay = time.Second
	if err := child.Start(); err != nil {
		log.Printf("watchdog: cannot start fprocess %q: %v", cfg.process, err)
		return 1
	}
	log.Printf("watchdog: forked %q (pid %d), upstream %s", cfg.process, child.Process.Pid, cfg.upstreamURL)
	exited := make(chan error, 1)
	go func() {
		err := child.Wait()
		if cfg.prefixLogs {
			stdout.flush()
			stderr.flush()
		}
		exited <- err
	}()
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)

	listener, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(cfg.port)))
	if err != nil {
		log.Printf("watchdog: %v", err)
		_ = child.Process.Kill()
		<-exited
		return 1
	}
	server := &http.Server{
		Handler:        newWatchdog(cfg),
		ReadTimeout:    cfg.readTimeout,
		WriteTimeout:   cfg.writeTimeout,
		MaxHeaderBytes: 1 << 20,
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()

	// Ready as soon as the watchdog listens (as of-watchdog): the function may still be starting, and calls
	// made before it listens get 500.
	if err := writeLock(cfg.lockPath); err != nil {
		log.Printf("watchdog: cannot write lock file: %v", err)
		_ = child.Process.Kill()
		<-exited
		return 1
	}
	defer os.Remove(cfg.lockPath)
	log.Printf("watchdog: listening on %s, lock file %s", listener.Addr(), cfg.lockPath)

	select {
	case err := <-exited:
		log.Printf("watchdog: Forked function has terminated: %v", err)
		return childExitCode(err)
	case err := <-served:
		log.Printf("watchdog: HTTP server stopped: %v", err)
		_ = child.Process.Kill()
		<-exited
		return 1
	case sig := <-signals:
		log.Printf("watchdog: %s: removing the lock file, waiting %s, then draining for up to %s",
			sig, cfg.healthcheckInterval, cfg.writeTimeout)
		_ = os.Remove(cfg.lockPath)
		// Like of-watchdog, the function gets SIGTERM at once; a function that handles it can finish its calls.
		_ = child.Process.Signal(syscall.SIGTERM)
		time.Sleep(cfg.healthcheckInterval)
		ctx, cancel := context.WithTimeout(context.Background(), cfg.writeTimeout)
		defer cancel()
		if err := server.Shutdown(ctx); err != nil {
			log.Printf("watchdog: drain cut short: %v", err)
		}
		select {
		case <-exited:
		case <-ctx.Done():
			_ = child.Process.Kill()
			<-exited
		}
		log.Printf("watchdog: stopped")
		return 0
	}
}

func writeLock(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, nil, 0o644)
}

// childExitCode passes a failing function's exit code on; an exit that was not a failure still stops the
// watchdog with 1, since a function that ends is an error for a long-running server.
func childExitCode(err error) int {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ExitCode() > 0 {
		return exitErr.ExitCode()
	}
	return 1
}

// linePrefixer logs the child's output line by line as "stdout: …" / "stderr: …" (prefix_logs=true).
type linePrefixer struct {
	name    string
	mu      sync.Mutex
	pending []byte
}

func (p *linePrefixer) Write(data []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = append(p.pending, data...)
	for {
		i := bytes.IndexByte(p.pending, '\n')
		if i < 0 {
			break
		}
		log.Printf("%s: %s", p.name, p.pending[:i])
		p.pending = p.pending[i+1:]
	}
	return len(data), nil
}

func (p *linePrefixer) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) > 0 {
		log.Printf("%s: %s", p.name, p.pending)
		p.pending = nil
	}
}
