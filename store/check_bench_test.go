package store

import (
	"os"
	"testing"
)

// BenchmarkCheckFile checks the benchmarks' large database as Open does
// (page walk, records decoded, bbolt's check): how long writes wait at the
// start of a tipbot on a file of that size, beyond CheckBudget.
func BenchmarkCheckFile(b *testing.B) {
	d := benchDB(b)
	st, err := os.Stat(d.path)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r, err := CheckFile(d.path, Options{})
		if err != nil || !r.Sound() {
			b.Fatalf("check: %v %v", err, r.Problems)
		}
	}
	b.ReportMetric(float64(st.Size())/(1<<20), "MB")
}
