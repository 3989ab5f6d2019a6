//go:build tipbot_pprof

package main

import (
	"log/slog"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
)

// A binary built with -tags tipbot_pprof (only the ingest benchmark builds
// one) serves net/http/pprof on TIPBOT_PPROF_ADDR, a listener of its own,
// so that the benchmark can profile the process while it ingests. The
// tipbot binary built without the tag has no profiling endpoint.
func init() {
	addr := os.Getenv("TIPBOT_PPROF_ADDR")
	if addr == "" {
		return
	}
	go func() {
		if err := http.ListenAndServe(addr, nil); err != nil {
			slog.Error("pprof listener", "addr", addr, "err", err)
		}
	}()
}
