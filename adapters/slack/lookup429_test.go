package slack

import (
	"fmt"
	"testing"
	"time"

	"github.com/tipbot/tipbot/adapters/slack/slacktest"
)

// Issue 22: with users.info answering 429 (Retry-After: 4), events of
// people tipbot has never met are acknowledged without waiting for it, in
// HTTP mode: each is delivered once (Slack would retry an event not
// answered within 3 s), every vote counts, and the lookups come after.
func TestEventsDoNotWaitOnARateLimitedLookup(t *testing.T) {
	t.Parallel()
	w := newWorld(t, ModeHTTP)
	tip, _ := w.s.SayEvent(general, alice, "tip: rebase before merging #git")
	w.settle()
	var people, events []string
	for i := range 20 {
		id := fmt.Sprintf("U0NEW%04d", i)
		w.s.AddUser(slacktest.User{ID: id, Name: fmt.Sprintf("new%d", i)})
		people = append(people, id)
	}
	w.s.FailNext("users.info", 100, 4*time.Second)
	answeredBefore := w.s.UsersInfoAnswered()
	for _, p := range people {
		events = append(events, w.s.ReactEvent(general, tip, p, "bulb"))
	}
	waitFor(t, w.s, "every vote acknowledged", func() bool {
		for _, id := range events {
			if !w.s.AllAcked(id) {
				return false
			}
		}
		return true
	})
	if n := w.s.UsersInfoAnswered() - answeredBefore; n != 0 {
		t.Errorf("%d users.info answered before the acknowledgements, want 0 (all rate limited)", n)
	}
	w.settle()
	for _, id := range events {
		if n := w.s.Deliveries(id); n != 1 {
			t.Errorf("event %s delivered %d times, want once", id, n)
		}
	}
	if got := w.votes(general, tip); got != len(people) {
		t.Errorf("votes = %d, want %d", got, len(people))
	}
}
