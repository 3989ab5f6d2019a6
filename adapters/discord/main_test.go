package discord

import (
	"flag"
	"testing"

	"go.uber.org/goleak"
)

// TestMain lets more tests run at once than the machine has cores (the
// default of -parallel): these tests mostly wait, on discordgo's one-second
// close, on rate-limit buckets and on the fake's timers, not on the CPU.
// An explicit -parallel wins. The run fails when a test leaves a goroutine
// behind.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", "8")
	}
	goleak.VerifyTestMain(m)
}
