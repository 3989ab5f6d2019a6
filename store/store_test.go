package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/tipbot/tipbot/bot"
)

var (
	wsA = bot.Workspace{Platform: bot.Shell, ID: "local"}
	wsB = bot.Workspace{Platform: "slack", ID: "T1"}
	t0  = time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)
)

// mustOpen opens a database in a temporary folder and, when the test ends,
// checks the file's consistency and closes it.
func mustOpen(tb testing.TB) *DB {
	tb.Helper()
	return mustOpenPath(tb, filepath.Join(tb.TempDir(), "tipbot.db"))
}

func mustOpenPath(tb testing.TB, path string) *DB {
	tb.Helper()
	db, err := Open(path, Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Check(); err != nil && !errors.Is(err, ErrClosed) {
			tb.Errorf("check %s: %v", path, err)
		}
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

func update(tb testing.TB, db *DB, ws bot.Workspace, fn func(tx bot.Tx) error) {
	tb.Helper()
	if err := db.Update(context.Background(), ws, fn); err != nil {
		tb.Fatal(err)
	}
}

func view(tb testing.TB, db *DB, ws bot.Workspace, fn func(tx bot.ReadTx) error) {
	tb.Helper()
	if err := db.View(context.Background(), ws, fn); err != nil {
		tb.Fatal(err)
	}
}

func sampleTip(id bot.TipID) bot.Tip {
	return bot.Tip{
		ID:          id,
		Channel:     "C42",
		MessageID:   "1700000000.00010" + string(rune('0'+id%10)),
		ThreadID:    "1699999999.000100",
		AuthorID:    "U1",
		AuthorName:  "Alice Été",
		Text:        "use git bisect to find regressions #git #debug",
		Topics:      []string{"git", "debug"},
		Source:      bot.SourcePrefix,
		SessionID:   3,
		Status:      bot.StatusPublished,
		UsefulVotes: 2,
		CreatedAt:   t0,
		UpdatedAt:   t0.Add(90*time.Second + 123),
		CapturedBy:  "U9",
		Periods:     bot.PeriodKeys(t0, time.UTC),
		HallOfFame:  true,
	}
}

func TestTipRoundTrip(t *testing.T) {
	db := mustOpen(t)
	want := sampleTip(1)
	update(t, db, wsA, func(tx bot.Tx) error {
		id, err := tx.NextTipID()
		if err != nil {
			return err
		}
		if id != 1 {
			t.Errorf("first id = %v, want t1", id)
		}
		return tx.PutTip(want)
	})
	view(t, db, wsA, func(tx bot.ReadTx) error {
		got, err := tx.Tip(1)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Tip(1)\n got %+v\nwant %+v", got, want)
		}
		got, err = tx.TipByMessage(want.Channel, want.MessageID)
		if err != nil || got.ID != 1 {
			t.Errorf("TipByMessage = %v, %v", got.ID, err)
		}
		if _, err := tx.TipByMessage(want.Channel, "other"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("TipByMessage(other) err = %v, want ErrNotFound", err)
		}
		if _, err := tx.Tip(2); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Tip(2) err = %v, want ErrNotFound", err)
		}
		return nil
	})

	// Odd values survive too: zero times, unknown source and status, no topics.
	odd := bot.Tip{ID: 7, AuthorID: "U2", Text: "x", Source: "future", Status: "archived", UsefulVotes: 300}
	update(t, db, wsA, func(tx bot.Tx) error { return tx.PutTip(odd) })
	view(t, db, wsA, func(tx bot.ReadTx) error {
		got, err := tx.Tip(7)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, odd) {
			t.Errorf("Tip(7)\n got %+v\nwant %+v", got, odd)
		}
		return nil
	})
	// PutTip with an id past the sequence moves the sequence on.
	update(t, db, wsA, func(tx bot.Tx) error {
		id, err := tx.NextTipID()
		if id != 8 {
			t.Errorf("NextTipID after t7 = %v, want t8", id)
		}
		return err
	})
}

func TestTipsIteration(t *testing.T) {
	db := mustOpen(t)
	const n = 600 // more than one chunk
	update(t, db, wsA, func(tx bot.Tx) error {
		for i := 1; i <= n; i++ {
			tip := sampleTip(bot.TipID(i))
			tip.MessageID = "m" + itoa(i)
			tip.AuthorID = []string{"U1", "U2", "U3"}[i%3]
			if err := tx.PutTip(tip); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, wsA, func(tx bot.ReadTx) error {
		var ids []bot.TipID
		if err := tx.ForEachTip(func(tip bot.Tip) error { ids = append(ids, tip.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(ids) != n || ids[0] != 1 || ids[n-1] != n {
			t.Fatalf("ForEachTip gave %d tips from %v to %v", len(ids), ids[0], ids[len(ids)-1])
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] != ids[i-1]+1 {
				t.Fatalf("ForEachTip out of order at %d: %v after %v", i, ids[i], ids[i-1])
			}
		}
		var byU2 []bot.TipID
		if err := tx.TipsByAuthor("U2", func(tip bot.Tip) error {
			if tip.AuthorID != "U2" {
				t.Errorf("TipsByAuthor(U2) gave tip of %s", tip.AuthorID)
			}
			byU2 = append(byU2, tip.ID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(byU2) != n/3 || byU2[0] != 1 || byU2[1] != 4 {
			t.Errorf("TipsByAuthor(U2) = %d tips starting %v", len(byU2), byU2[:2])
		}
		stop := errors.New("stop")
		calls := 0
		if err := tx.ForEachTip(func(bot.Tip) error { calls++; return stop }); err != stop || calls != 1 {
			t.Errorf("ForEachTip stop: err %v after %d calls", err, calls)
		}
		return nil
	})
	// Writing from inside ForEachTip is safe: rewrite every tip of U1.
	update(t, db, wsA, func(tx bot.Tx) error {
		return tx.ForEachTip(func(tip bot.Tip) error {
			if tip.AuthorID != "U1" {
				return nil
			}
			tip.AuthorID = "U4"
			return tx.PutTip(tip)
		})
	})
	view(t, db, wsA, func(tx bot.ReadTx) error {
		count := func(author string) int {
			n := 0
			if err := tx.TipsByAuthor(author, func(bot.Tip) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if got, want := count("U1"), 0; got != want {
			t.Errorf("U1 has %d tips, want %d", got, want)
		}
		if got, want := count("U4"), n/3; got != want {
			t.Errorf("U4 has %d tips, want %d", got, want)
		}
		return nil
	})
}

func itoa(i int) string { return bot.TipID(i).String()[1:] }

func TestDeleteTip(t *testing.T) {
	db := mustOpen(t)
	tip := sampleTip(1)
	update(t, db, wsA, func(tx bot.Tx) error {
		if err := tx.PutTip(tip); err != nil {
			return err
		}
		if err := tx.PutTip(sampleTip2(2)); err != nil {
			return err
		}
		for _, v := range []string{"U7", "U8"} {
			if err := tx.PutVote(1, v, bot.Vote{Emojis: []string{"bulb"}}); err != nil {
				return err
			}
		}
		return tx.PutVote(2, "U7", bot.Vote{Emojis: []string{"bulb"}})
	})
	update(t, db, wsA, func(tx bot.Tx) error {
		if err := tx.DeleteTip(1); err != nil {
			return err
		}
		return tx.DeleteTip(99) // missing: no error
	})
	view(t, db, wsA, func(tx bot.ReadTx) error {
		if _, err := tx.Tip(1); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Tip(1) after delete: %v", err)
		}
		if _, err := tx.TipByMessage(tip.Channel, tip.MessageID); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("TipByMessage after delete: %v", err)
		}
		if _, err := tx.Vote(1, "U7"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Vote(1, U7) after delete: %v", err)
		}
		if _, err := tx.Vote(2, "U7"); err != nil {
			t.Errorf("Vote(2, U7) after deleting t1: %v", err)
		}
		n := 0
		if err := tx.TipsByAuthor("U1", func(bot.Tip) error { n++; return nil }); err != nil || n != 0 {
			t.Errorf("TipsByAuthor after delete: %d tips, %v", n, err)
		}
		for _, p := range tip.Periods {
			top, err := tx.TopTips(p, 10)
			if err != nil || len(top) != 1 || top[0].ID != 2 {
				t.Errorf("TopTips(%s) after delete = %v, %v", p, ids(top), err)
			}
		}
		found, err := tx.SearchTips([]string{"bisect"}, 10)
		if err != nil || len(found) != 0 {
			t.Errorf("search after delete = %v, %v", ids(found), err)
		}
		return nil
	})
}

func sampleTip2(id bot.TipID) bot.Tip {
	tip := sampleTip(id)
	tip.MessageID = "m2"
	tip.AuthorID = "U2"
	tip.Text = "prefer table driven tests #go"
	tip.Topics = []string{"go"}
	return tip
}

func ids(tips []bot.Tip) []bot.TipID {
	out := make([]bot.TipID, len(tips))
	for i, t := range tips {
		out[i] = t.ID
	}
	return out
}

func TestVotes(t *testing.T) {
	db := mustOpen(t)
	update(t, db, wsA, func(tx bot.Tx) error {
		for _, v := range []struct {
			voter  string
			emojis []string
		}{
			{"U3", []string{"bulb", "+1"}},
			{"U2", []string{"bulb"}},
			{"U2", []string{"bulb"}}, // same vote twice
			{"U4", []string{"💡"}},
		} {
			if err := tx.PutVote(5, v.voter, bot.Vote{Emojis: v.emojis}); err != nil {
				return err
			}
		}
		return tx.PutVote(6, "U2", bot.Vote{Emojis: []string{"star"}})
	})
	view(t, db, wsA, func(tx bot.ReadTx) error {
		v, err := tx.Vote(5, "U3")
		if err != nil || !reflect.DeepEqual(v.Emojis, []string{"bulb", "+1"}) {
			t.Errorf("Vote(5, U3) = %v, %v", v, err)
		}
		var voters []string
		if err := tx.ForEachVote(5, func(voter string, v bot.Vote) error {
			voters = append(voters, voter+"="+strings.Join(v.Emojis, ","))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(voters, " "), "U2=bulb U3=bulb,+1 U4=💡"; got != want {
			t.Errorf("ForEachVote(5) = %q, want %q", got, want)
		}
		return nil
	})
	update(t, db, wsA, func(tx bot.Tx) error {
		if err := tx.DeleteVote(5, "U3"); err != nil {
			return err
		}
		if err := tx.DeleteVote(5, "U3"); err != nil { // twice: no error
			return err
		}
		return tx.PutVote(5, "U4", bot.Vote{}) // empty set removes
	})
	view(t, db, wsA, func(tx bot.ReadTx) error {
		for _, voter := range []string{"U3", "U4"} {
			if _, err := tx.Vote(5, voter); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("Vote(5, %s) after removal: %v", voter, err)
			}
		}
		if _, err := tx.Vote(5, "U2"); err != nil {
			t.Errorf("Vote(5, U2): %v", err)
		}
		return nil
	})
}

func TestPendingVotesAndReassign(t *testing.T) {
	db := mustOpen(t)
	update(t, db, wsA, func(tx bot.Tx) error {
		for _, pv := range []bot.PendingVote{
			{Voter: "U3", Emojis: []string{"bulb"}},
			{Voter: "U2", Emojis: []string{"+1", "bulb"}},
			{Voter: "U2", Emojis: []string{"+1", "bulb"}},
		} {
			if err := tx.PutPendingVote("C1", "m1", pv); err != nil {
				return err
			}
		}
		// A channel/message pair that shares a prefix must not mix in.
		if err := tx.PutPendingVote("C1", "m10", bot.PendingVote{Voter: "U2", Emojis: []string{"star"}}); err != nil {
			return err
		}
		if err := tx.PutVote(1, "U2", bot.Vote{Emojis: []string{"bulb"}}); err != nil {
			return err
		}
		if err := tx.PutVote(2, "U2", bot.Vote{Emojis: []string{"bulb"}}); err != nil {
			return err
		}
		if err := tx.PutVote(2, "anon", bot.Vote{Emojis: []string{"star"}}); err != nil {
			return err
		}
		return tx.PutVote(1, "U22", bot.Vote{Emojis: []string{"bulb"}})
	})
	view(t, db, wsA, func(tx bot.ReadTx) error {
		got, err := tx.PendingVotes("C1", "m1")
		want := []bot.PendingVote{{Voter: "U2", Emojis: []string{"+1", "bulb"}}, {Voter: "U3", Emojis: []string{"bulb"}}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("PendingVotes = %v, %v; want %v", got, err, want)
		}
		got, err = tx.PendingVotes("C1", "none")
		if err != nil || len(got) != 0 {
			t.Errorf("PendingVotes(none) = %v, %v", got, err)
		}
		return nil
	})
	var refs bot.VoteRefs
	view(t, db, wsA, func(tx bot.ReadTx) error {
		var err error
		refs, err = tx.VotesBy("U2")
		want := bot.VoteRefs{Tips: []bot.TipID{1, 2}, Pending: []bot.MessageRef{{Channel: "C1", MessageID: "m1"}, {Channel: "C1", MessageID: "m10"}}}
		if err != nil || !reflect.DeepEqual(refs, want) {
			t.Errorf("VotesBy(U2) = %+v, %v; want %+v", refs, err, want)
		}
		return err
	})
	// A vote located but gone since is skipped.
	refs.Tips = append(refs.Tips, 3)
	update(t, db, wsA, func(tx bot.Tx) error {
		n, err := tx.ReassignVotes(refs, "U2", "anon")
		if err != nil {
			return err
		}
		if n != 4 {
			t.Errorf("ReassignVotes moved %d, want 4", n)
		}
		return tx.PutPendingVote("C1", "m1", bot.PendingVote{Voter: "U3"}) // no emojis: removed
	})
	view(t, db, wsA, func(tx bot.ReadTx) error {
		for _, c := range []struct {
			tip    bot.TipID
			voter  string
			emojis []string
		}{
			{1, "anon", []string{"bulb"}},
			{2, "anon", []string{"bulb", "star"}}, // merged
			{1, "U22", []string{"bulb"}},          // a voter whose id starts alike is untouched
		} {
			v, err := tx.Vote(c.tip, c.voter)
			if err != nil || !reflect.DeepEqual(v.Emojis, c.emojis) {
				t.Errorf("Vote(%v, %s) = %v, %v; want %v", c.tip, c.voter, v.Emojis, err, c.emojis)
			}
		}
		if _, err := tx.Vote(1, "U2"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Vote(1, U2) after reassign: %v", err)
		}
		got, _ := tx.PendingVotes("C1", "m1")
		if want := []bot.PendingVote{{Voter: "anon", Emojis: []string{"+1", "bulb"}}}; !reflect.DeepEqual(got, want) {
			t.Errorf("PendingVotes after reassign = %v, want %v", got, want)
		}
		got, _ = tx.PendingVotes("C1", "m10")
		if want := []bot.PendingVote{{Voter: "anon", Emojis: []string{"star"}}}; !reflect.DeepEqual(got, want) {
			t.Errorf("PendingVotes(m10) after reassign = %v, want %v", got, want)
		}
		return nil
	})
	update(t, db, wsA, func(tx bot.Tx) error { return tx.DeletePendingVotes("C1", "m1") })
	view(t, db, wsA, func(tx bot.ReadTx) error {
		if got, _ := tx.PendingVotes("C1", "m1"); len(got) != 0 {
			t.Errorf("PendingVotes after delete = %v", got)
		}
		if got, _ := tx.PendingVotes("C1", "m10"); len(got) != 1 {
			t.Errorf("PendingVotes(m10) after deleting m1 = %v", got)
		}
		return nil
	})
}

func TestPersonsCountersRecords(t *testing.T) {
	db := mustOpen(t)
	alice := bot.Person{ID: "U1", Name: "Alice", FirstTipAt: t0}
	update(t, db, wsA, func(tx bot.Tx) error {
		if err := tx.PutPerson(alice); err != nil {
			return err
		}
		if err := tx.PutPerson(bot.Person{ID: "U2", Name: "Bob"}); err != nil {
			return err
		}
		for _, d := range []int64{5, -2, 10} {
			if err := tx.AddCounter("d20261127.tips", d); err != nil {
				return err
			}
		}
		buf := []byte("v1")
		if err := tx.PutRecord("session", "s1", buf); err != nil {
			return err
		}
		buf[0] = 'X' // the store kept its own copy
		if err := tx.PutRecord("session", "s2", []byte("v2")); err != nil {
			return err
		}
		if err := tx.PutRecord("session", "s2", []byte("v2b")); err != nil {
			return err
		}
		if err := tx.PutRecord("role", "U1", nil); err != nil {
			return err
		}
		// Read your own writes in the same transaction.
		if n, err := tx.Counter("d20261127.tips"); err != nil || n != 13 {
			t.Errorf("Counter in tx = %d, %v", n, err)
		}
		return nil
	})
	view(t, db, wsA, func(tx bot.ReadTx) error {
		p, err := tx.Person("U1")
		if err != nil || !reflect.DeepEqual(p, alice) {
			t.Errorf("Person(U1) = %+v, %v", p, err)
		}
		if _, err := tx.Person("U3"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Person(U3): %v", err)
		}
		if n, err := tx.Counter("d20261127.tips"); err != nil || n != 13 {
			t.Errorf("Counter = %d, %v; want 13", n, err)
		}
		if n, err := tx.Counter("never"); err != nil || n != 0 {
			t.Errorf("Counter(never) = %d, %v", n, err)
		}
		v, err := tx.Record("session", "s1")
		if err != nil || string(v) != "v1" {
			t.Errorf("Record(session, s1) = %q, %v", v, err)
		}
		v, err = tx.Record("role", "U1")
		if err != nil || v == nil || len(v) != 0 {
			t.Errorf("Record(role, U1) = %q (nil %v), %v; want empty", v, v == nil, err)
		}
		if _, err := tx.Record("session", "s9"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Record(session, s9): %v", err)
		}
		if _, err := tx.Record("nokind", "s1"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Record(nokind, s1): %v", err)
		}
		var got []string
		if err := tx.ForEachRecord("session", func(k string, v []byte) error {
			got = append(got, k+"="+string(v))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if want := []string{"s1=v1", "s2=v2b"}; !reflect.DeepEqual(got, want) {
			t.Errorf("ForEachRecord = %v, want %v", got, want)
		}
		return nil
	})
	update(t, db, wsA, func(tx bot.Tx) error {
		if err := tx.DeletePerson("U1"); err != nil {
			return err
		}
		if err := tx.DeleteRecord("session", "s1"); err != nil {
			return err
		}
		if err := tx.DeleteRecord("session", "missing"); err != nil {
			return err
		}
		return tx.DeleteRecord("role", "U1")
	})
	view(t, db, wsA, func(tx bot.ReadTx) error {
		if _, err := tx.Person("U1"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Person(U1) after delete: %v", err)
		}
		if _, err := tx.Record("session", "s1"); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Record(s1) after delete: %v", err)
		}
		n := 0
		if err := tx.ForEachRecord("role", func(string, []byte) error { n++; return nil }); err != nil || n != 0 {
			t.Errorf("ForEachRecord(role) after delete: %d, %v", n, err)
		}
		return nil
	})
}

func TestManyRecords(t *testing.T) {
	db := mustOpen(t)
	const n = 700
	update(t, db, wsA, func(tx bot.Tx) error {
		for i := range n {
			if err := tx.PutRecord("k", "r"+itoa(1000+i), []byte{byte(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	// Deleting from inside ForEachRecord is safe and sees every record once.
	seen := 0
	update(t, db, wsA, func(tx bot.Tx) error {
		seen = 0
		return tx.ForEachRecord("k", func(k string, v []byte) error {
			seen++
			if v[0]%2 == 0 {
				return tx.DeleteRecord("k", k)
			}
			return nil
		})
	})
	if seen != n {
		t.Errorf("ForEachRecord saw %d, want %d", seen, n)
	}
	view(t, db, wsA, func(tx bot.ReadTx) error {
		left := 0
		if err := tx.ForEachRecord("k", func(string, []byte) error { left++; return nil }); err != nil {
			t.Fatal(err)
		}
		if left != n/2 {
			t.Errorf("%d records left, want %d", left, n/2)
		}
		return nil
	})
	// Backwards: newest key first, over several chunks, deleting as it goes
	// and stopping when fn says so.
	var keys []string
	update(t, db, wsA, func(tx bot.Tx) error {
		keys = keys[:0]
		err := tx.ForEachRecordReverse("k", func(k string, v []byte) error {
			keys = append(keys, k)
			if v[0]%3 == 0 {
				return tx.DeleteRecord("k", k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		stop := errors.New("stop")
		n := 0
		if err := tx.ForEachRecordReverse("k", func(string, []byte) error {
			if n++; n == 3 {
				return stop
			}
			return nil
		}); !errors.Is(err, stop) || n != 3 {
			t.Errorf("ForEachRecordReverse stopped after %d with %v, want 3 and stop", n, err)
		}
		return nil
	})
	if len(keys) != n/2 || !slices.IsSortedFunc(keys, func(a, b string) int { return strings.Compare(b, a) }) || keys[0] != "r"+itoa(1000+n-1) {
		t.Errorf("ForEachRecordReverse saw %d keys from %q, want %d in decreasing order from the last", len(keys), keys[0], n/2)
	}
}

func TestEvents(t *testing.T) {
	db := mustOpen(t)
	seen := func(id string) bool {
		var ok bool
		view(t, db, wsA, func(tx bot.ReadTx) error {
			var err error
			ok, err = tx.EventSeen(id)
			return err
		})
		return ok
	}
	mark := func(id string, at time.Time) {
		update(t, db, wsA, func(tx bot.Tx) error { return tx.MarkEvent(id, at) })
	}
	if seen("Ev1") {
		t.Fatal("Ev1 seen before being marked")
	}
	mark("Ev1", t0)
	mark("Ev1", t0) // twice: no harm
	if !seen("Ev1") {
		t.Fatal("Ev1 not seen after being marked")
	}
	// Events keep coming; Ev1 must be remembered for 24 hours after t0.
	for h := 1; h <= 24; h++ {
		mark("later"+itoa(h), t0.Add(time.Duration(h)*time.Hour))
		if !seen("Ev1") {
			t.Fatalf("Ev1 forgotten %d hours after it was marked", h)
		}
	}
	// A late event older than every kept generation is still remembered.
	mark("old", t0.Add(-72*time.Hour))
	if !seen("old") {
		t.Error("late old event not remembered")
	}
	for h := 25; h <= 24*10; h++ {
		mark("later"+itoa(h), t0.Add(time.Duration(h)*time.Hour))
	}
	if seen("Ev1") || seen("old") || seen("later1") {
		t.Error("events kept forever")
	}
	if !seen("later239") || !seen("later216") {
		t.Error("recent events forgotten")
	}
	view(t, db, wsA, func(rtx bot.ReadTx) error {
		gens := 0
		err := rtx.(*tx).bucket(bEvents).ForEachBucket(func([]byte) error { gens++; return nil })
		if gens > keptSlots+1 {
			t.Errorf("%d event generations kept, want at most %d", gens, keptSlots+1)
		}
		return err
	})
	// Times before 1970 work as well.
	mark("ancient", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC))
	if !seen("ancient") {
		t.Error("ancient event not remembered")
	}
}

func TestWorkspaceIsolation(t *testing.T) {
	db := mustOpen(t)
	tip := sampleTip(1)
	update(t, db, wsA, func(tx bot.Tx) error {
		if _, err := tx.NextTipID(); err != nil {
			return err
		}
		if err := tx.PutTip(tip); err != nil {
			return err
		}
		if err := tx.PutVote(1, "U2", bot.Vote{Emojis: []string{"bulb"}}); err != nil {
			return err
		}
		if err := tx.PutPendingVote("C1", "m1", bot.PendingVote{Voter: "U2", Emojis: []string{"bulb"}}); err != nil {
			return err
		}
		if err := tx.PutPerson(bot.Person{ID: "U1", Name: "Alice"}); err != nil {
			return err
		}
		if err := tx.AddCounter("c", 1); err != nil {
			return err
		}
		if err := tx.MarkEvent("Ev1", t0); err != nil {
			return err
		}
		return tx.PutRecord("session", "s1", []byte("x"))
	})
	others := []bot.Workspace{wsB, {Platform: "discord", ID: "local"}, {Platform: bot.Shell, ID: "local2"}, {Platform: bot.Shell, ID: "loca"}}
	for _, ws := range others {
		view(t, db, ws, func(tx bot.ReadTx) error {
			if _, err := tx.Tip(1); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("%s: Tip(1): %v", ws, err)
			}
			if _, err := tx.TipByMessage(tip.Channel, tip.MessageID); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("%s: TipByMessage: %v", ws, err)
			}
			n := 0
			count := func(bot.Tip) error { n++; return nil }
			_ = tx.ForEachTip(count)
			_ = tx.TipsByAuthor("U1", count)
			_ = tx.ForEachVote(1, func(string, bot.Vote) error { n++; return nil })
			_ = tx.ForEachRecord("session", func(string, []byte) error { n++; return nil })
			if n != 0 {
				t.Errorf("%s: iterations saw %d entries", ws, n)
			}
			if _, err := tx.Vote(1, "U2"); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("%s: Vote: %v", ws, err)
			}
			if pv, _ := tx.PendingVotes("C1", "m1"); len(pv) != 0 {
				t.Errorf("%s: PendingVotes: %v", ws, pv)
			}
			if _, err := tx.Person("U1"); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("%s: Person: %v", ws, err)
			}
			if c, _ := tx.Counter("c"); c != 0 {
				t.Errorf("%s: Counter = %d", ws, c)
			}
			if ok, _ := tx.EventSeen("Ev1"); ok {
				t.Errorf("%s: EventSeen", ws)
			}
			if _, err := tx.Record("session", "s1"); !errors.Is(err, bot.ErrNotFound) {
				t.Errorf("%s: Record: %v", ws, err)
			}
			for _, p := range tip.Periods {
				top, _ := tx.TopTips(p, 10)
				authors, _ := tx.TopAuthors(p, 10)
				topics, _ := tx.TopTopics(p, 10)
				count, _ := tx.CountAuthors(p)
				if _, _, err := tx.AuthorRank(p, "U1"); !errors.Is(err, bot.ErrNotFound) {
					t.Errorf("%s: AuthorRank(%s): %v", ws, p, err)
				}
				if len(top)+len(authors)+len(topics)+count != 0 {
					t.Errorf("%s: boards of %s not empty", ws, p)
				}
			}
			if ex, _ := tx.Experts("git", 10); len(ex) != 0 {
				t.Errorf("%s: Experts: %v", ws, ex)
			}
			if found, _ := tx.SearchTips([]string{"bisect"}, 10); len(found) != 0 {
				t.Errorf("%s: SearchTips: %v", ws, ids(found))
			}
			return nil
		})
	}
	// A new workspace starts its own id sequence.
	update(t, db, wsB, func(tx bot.Tx) error {
		id, err := tx.NextTipID()
		if id != 1 {
			t.Errorf("first id in %s = %v", wsB, id)
		}
		return err
	})
	got, err := db.Workspaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []bot.Workspace{wsA, wsB}; !reflect.DeepEqual(got, want) {
		t.Errorf("Workspaces = %v, want %v", got, want)
	}
	// Every key of the file is under meta/ or under a workspace.
	err = db.bolt.View(func(btx *bbolt.Tx) error {
		return btx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
			if string(name) != "meta" && string(name) != "ws" {
				t.Errorf("top-level bucket %q", name)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	// Reads do not create a workspace; a bad workspace is refused.
	view(t, db, bot.Workspace{Platform: "discord", ID: "G9"}, func(bot.ReadTx) error { return nil })
	if got, _ := db.Workspaces(context.Background()); len(got) != 2 {
		t.Errorf("a read created a workspace: %v", got)
	}
	// Platforms are open (bot.ValidPlatform): a name that cannot be one is refused.
	for _, bad := range []bot.Workspace{{}, {Platform: "IRC chat", ID: "x"}, {Platform: "slack"}} {
		if err := db.Update(context.Background(), bad, func(bot.Tx) error { return nil }); err == nil {
			t.Errorf("Update accepted workspace %q", bad.Key())
		}
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tipbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	update(t, db, wsA, func(tx bot.Tx) error {
		if _, err := tx.NextTipID(); err != nil {
			return err
		}
		if err := tx.PutTip(sampleTip(1)); err != nil {
			return err
		}
		if err := tx.PutVote(1, "U2", bot.Vote{Emojis: []string{"bulb"}}); err != nil {
			return err
		}
		if err := tx.MarkEvent("Ev1", t0); err != nil {
			return err
		}
		return tx.AddCounter("n", 3)
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := db.Update(context.Background(), wsA, func(bot.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close: %v", err)
	}
	if err := db.View(context.Background(), wsA, func(bot.ReadTx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("View after Close: %v", err)
	}

	db = mustOpenPath(t, path)
	view(t, db, wsA, func(tx bot.ReadTx) error {
		if got, err := tx.Tip(1); err != nil || !reflect.DeepEqual(got, sampleTip(1)) {
			t.Errorf("Tip(1) after reopen = %+v, %v", got, err)
		}
		if _, err := tx.Vote(1, "U2"); err != nil {
			t.Errorf("Vote after reopen: %v", err)
		}
		if ok, _ := tx.EventSeen("Ev1"); !ok {
			t.Error("event forgotten after reopen")
		}
		if n, _ := tx.Counter("n"); n != 3 {
			t.Errorf("counter after reopen = %d", n)
		}
		top, err := tx.TopTips("all", 5)
		if err != nil || len(top) != 1 {
			t.Errorf("TopTips after reopen = %v, %v", ids(top), err)
		}
		found, err := tx.SearchTips([]string{"git", "bisect"}, 5)
		if err != nil || len(found) != 1 {
			t.Errorf("SearchTips after reopen = %v, %v", ids(found), err)
		}
		return nil
	})
	update(t, db, wsA, func(tx bot.Tx) error {
		id, err := tx.NextTipID()
		if id != 2 {
			t.Errorf("NextTipID after reopen = %v, want t2", id)
		}
		return err
	})
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tipbot.db")
	db := mustOpenPath(t, path)
	start := time.Now()
	second, err := Open(path, Options{})
	elapsed := time.Since(start)
	if err == nil {
		second.Close()
		t.Fatal("second Open of a held file succeeded")
	}
	if want := "store: tipbot.db is locked by another process (is another tipbot running?)"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if elapsed > 3*time.Second {
		t.Errorf("second Open took %v", elapsed)
	}
	// The first handle still works.
	update(t, db, wsA, func(tx bot.Tx) error { return tx.AddCounter("n", 1) })
}

func TestOpenNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tipbot.db")
	db := mustOpenPath(t, path)
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, u32(schemaVersion+1))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing", "x.db"), Options{}); err == nil {
		t.Error("Open in a missing folder succeeded")
	}
}

func TestBackup(t *testing.T) {
	db := mustOpen(t)
	update(t, db, wsA, func(tx bot.Tx) error { return tx.PutTip(sampleTip(1)) })
	var buf bytes.Buffer
	n, err := db.Backup(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) || n == 0 {
		t.Errorf("Backup returned %d, wrote %d", n, buf.Len())
	}
	// Writes after the snapshot started do not matter; the copy opens.
	update(t, db, wsA, func(tx bot.Tx) error { return tx.DeleteTip(1) })
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := writeFile(path, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	cp := mustOpenPath(t, path)
	if cp.Path() != path {
		t.Errorf("Path() = %q", cp.Path())
	}
	view(t, cp, wsA, func(tx bot.ReadTx) error {
		if _, err := tx.Tip(1); err != nil {
			t.Errorf("tip missing from backup: %v", err)
		}
		return nil
	})
}

func TestCorruptRecord(t *testing.T) {
	db := mustOpen(t)
	update(t, db, wsA, func(tx bot.Tx) error { return tx.PutTip(sampleTip(1)) })
	enc := encodeTip(sampleTip(1))
	for cut := range len(enc) {
		if err := db.bolt.Update(func(btx *bbolt.Tx) error {
			return btx.Bucket(bucketWS).Bucket([]byte(wsA.Key())).Bucket(sub[bTips].name).Put(tipKey(1), enc[:cut])
		}); err != nil {
			t.Fatal(err)
		}
		err := db.View(context.Background(), wsA, func(tx bot.ReadTx) error {
			_, err := tx.Tip(1)
			return err
		})
		if err == nil {
			t.Fatalf("tip cut at %d bytes decoded without error", cut)
		}
	}
	// A write over a corrupt tip fails cleanly instead of guessing.
	err := db.Update(context.Background(), wsA, func(tx bot.Tx) error { return tx.PutTip(sampleTip(1)) })
	if err == nil {
		t.Error("PutTip over a corrupt tip succeeded")
	}
	// The full check names the corrupt record; mend it for the cleanup's check.
	if err := db.Check(); err == nil || !strings.Contains(err.Error(), "tips: store: tip t1") {
		t.Errorf("Check of a corrupt tip: %v", err)
	}
	if err := db.bolt.Update(func(btx *bbolt.Tx) error {
		return btx.Bucket(bucketWS).Bucket([]byte(wsA.Key())).Bucket(sub[bTips].name).Put(tipKey(1), enc)
	}); err != nil {
		t.Fatal(err)
	}
}

func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o600) }

// TestEventsInOneBatch marks events across many generations inside one
// transaction, where the batch keeps its list of generations, and from
// concurrent updates sharing commits.
func TestEventsInOneBatch(t *testing.T) {
	db := mustOpen(t)
	check := func(tx bot.ReadTx, when string) {
		t.Helper()
		for id, want := range map[string]bool{"first": false, "later1": false, "later239": true, "later216": true, "never": false} {
			if got, err := tx.EventSeen(id); err != nil || got != want {
				t.Errorf("%s: EventSeen(%s) = %v, %v; want %v", when, id, got, err, want)
			}
		}
	}
	update(t, db, wsA, func(tx bot.Tx) error {
		if err := tx.MarkEvent("first", t0); err != nil {
			return err
		}
		if ok, err := tx.EventSeen("first"); err != nil || !ok {
			t.Errorf("first not seen in its own transaction: %v, %v", ok, err)
		}
		for h := 1; h <= 24*10; h++ {
			if err := tx.MarkEvent("later"+itoa(h), t0.Add(time.Duration(h)*time.Hour)); err != nil {
				return err
			}
		}
		check(tx, "same transaction")
		return nil
	})
	view(t, db, wsA, func(rtx bot.ReadTx) error {
		check(rtx, "after commit")
		gens := 0
		err := rtx.(*tx).bucket(bEvents).ForEachBucket(func([]byte) error { gens++; return nil })
		if gens > keptSlots+1 {
			t.Errorf("%d event generations kept, want at most %d", gens, keptSlots+1)
		}
		return err
	})

	// Concurrent updates share commits; each marks its own event once.
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			id := "c" + itoa(i)
			err := db.Update(context.Background(), wsB, func(tx bot.Tx) error {
				if seen, err := tx.EventSeen(id); err != nil || seen {
					return fmt.Errorf("%s seen before it was marked: %v", id, err)
				}
				return tx.MarkEvent(id, t0.Add(time.Duration(i)*time.Minute))
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	view(t, db, wsB, func(tx bot.ReadTx) error {
		for i := range 200 {
			if ok, err := tx.EventSeen("c" + itoa(i)); err != nil || !ok {
				t.Errorf("c%d not seen: %v", i, err)
			}
		}
		return nil
	})
}

// TestPutTipAfterChangingTheReadCopy changes, in place, the slices of a tip
// just read, then stores it: the indexes move from what was stored, not
// from the changed copy.
func TestPutTipAfterChangingTheReadCopy(t *testing.T) {
	db := mustOpen(t)
	update(t, db, wsA, func(tx bot.Tx) error { return tx.PutTip(sampleTip(1)) })
	update(t, db, wsA, func(tx bot.Tx) error {
		tip, err := tx.Tip(1)
		if err != nil {
			return err
		}
		tip.Topics[0] = "bisect" // "git" becomes "bisect" in the same backing array
		tip.UsefulVotes = 5
		return tx.PutTip(tip)
	})
	view(t, db, wsA, func(tx bot.ReadTx) error {
		topics, err := tx.TopTopics("all", 10)
		if err != nil {
			return err
		}
		var names []string
		for _, s := range topics {
			names = append(names, s.Member)
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"bisect", "debug"}) {
			t.Errorf("topics after the change = %v, want [bisect debug]", names)
		}
		if experts, _ := tx.Experts("git", 5); len(experts) != 0 {
			t.Errorf("experts of git after the change = %v, want none", experts)
		}
		return nil
	})
	checkRebuild(t, db, wsA)
}

// TestTipsInChannel compares the channels index with a scan of every tip,
// for periods of every length, after tips moved between channels and
// were deleted.
func TestTipsInChannel(t *testing.T) {
	db := mustOpen(t)
	r := rand.New(rand.NewPCG(7, 7))
	base := time.Date(1969, 12, 31, 23, 59, 0, 0, time.UTC) // times before and after 1970
	channels := []string{"C1", "C2", "C10", ""}
	update(t, db, wsA, func(tx bot.Tx) error {
		for id := 1; id <= 400; id++ {
			tip := sampleTip(bot.TipID(id))
			tip.MessageID = "m" + itoa(id)
			tip.Channel = channels[r.IntN(len(channels))]
			tip.CreatedAt = base.Add(time.Duration(r.Int64N(int64(90 * time.Second))))
			if err := tx.PutTip(tip); err != nil {
				return err
			}
		}
		for id := 1; id <= 400; id += 7 {
			if id%2 == 0 {
				if err := tx.DeleteTip(bot.TipID(id)); err != nil {
					return err
				}
				continue
			}
			tip, err := tx.Tip(bot.TipID(id))
			if err != nil {
				return err
			}
			tip.Channel = channels[(id/7)%len(channels)]
			tip.UsefulVotes++
			if err := tx.PutTip(tip); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, wsA, func(tx bot.ReadTx) error {
		var all []bot.Tip
		if err := tx.ForEachTip(func(tip bot.Tip) error { all = append(all, tip); return nil }); err != nil {
			return err
		}
		for range 200 {
			from := base.Add(time.Duration(r.Int64N(int64(100*time.Second))) - 5*time.Second)
			to := from.Add(time.Duration(r.Int64N(int64(40 * time.Second))))
			if r.IntN(5) == 0 {
				to = time.Time{}
			}
			channel := channels[r.IntN(len(channels))]
			var want []bot.TipID
			for _, tip := range all {
				if tip.Channel == channel && !tip.CreatedAt.Before(from) && (to.IsZero() || tip.CreatedAt.Before(to)) {
					want = append(want, tip.ID)
				}
			}
			var got []bot.TipID
			var last time.Time
			if err := tx.TipsInChannel(channel, from, to, func(tip bot.Tip) error {
				if tip.CreatedAt.Unix() < last.Unix() {
					t.Errorf("TipsInChannel out of order at %v", tip.ID)
				}
				last = tip.CreatedAt
				got = append(got, tip.ID)
				return nil
			}); err != nil {
				return err
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("TipsInChannel(%q, %v, %v) = %v, want %v", channel, from, to, got, want)
			}
		}
		return nil
	})
	checkRebuild(t, db, wsA)
}

// TestTipAppliedRoundTrip: the applied count, added to the record after
// visibility, reads back with and without a restricted visibility, and a
// record written before it reads as 0.
func TestTipAppliedRoundTrip(t *testing.T) {
	db := mustOpen(t)
	tips := []bot.Tip{
		{ID: 1, AuthorID: "U1", Text: "a", Applied: 3},
		{ID: 2, AuthorID: "U1", Text: "b", Applied: 1, Visibility: bot.VisibilityChannel},
		{ID: 3, AuthorID: "U1", Text: "c", Visibility: bot.VisibilityThread},
		{ID: 4, AuthorID: "U1", Text: "d"},
	}
	update(t, db, wsA, func(tx bot.Tx) error {
		for _, tip := range tips {
			if err := tx.PutTip(tip); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, wsA, func(tx bot.ReadTx) error {
		for _, want := range tips {
			got, err := tx.Tip(want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Applied != want.Applied || got.Visibility != want.Visibility {
				t.Errorf("%s: applied %d, visibility %q; want %d, %q", want.ID, got.Applied, got.Visibility, want.Applied, want.Visibility)
			}
		}
		return nil
	})
	old := encodeTip(bot.Tip{AuthorID: "U1", Text: "e"})
	if got, err := decodeTip(5, old); err != nil || got.Applied != 0 {
		t.Errorf("a record without the count: %+v, %v", got, err)
	}
}

// TestTipsBefore: tips newest first, from the newest or below an id,
// across deleted ids, and only the workspace's.
func TestTipsBefore(t *testing.T) {
	db := mustOpen(t)
	update(t, db, wsA, func(tx bot.Tx) error {
		for id := bot.TipID(1); id <= 6; id++ {
			tip := sampleTip(id)
			tip.MessageID = "m" + itoa(int(id))
			if err := tx.PutTip(tip); err != nil {
				return err
			}
		}
		return tx.DeleteTip(4)
	})
	update(t, db, wsB, func(tx bot.Tx) error { return tx.PutTip(sampleTip(9)) })
	for _, tc := range []struct {
		before bot.TipID
		stop   int // stop after this many (0: all)
		want   []bot.TipID
	}{
		{0, 0, []bot.TipID{6, 5, 3, 2, 1}},
		{5, 0, []bot.TipID{3, 2, 1}},
		{4, 0, []bot.TipID{3, 2, 1}},
		{100, 0, []bot.TipID{6, 5, 3, 2, 1}},
		{1, 0, nil},
		{0, 2, []bot.TipID{6, 5}},
	} {
		var got []bot.Tip
		view(t, db, wsA, func(tx bot.ReadTx) error {
			err := tx.TipsBefore(tc.before, func(tip bot.Tip) error {
				got = append(got, tip)
				if len(got) == tc.stop {
					return errStop
				}
				return nil
			})
			if errors.Is(err, errStop) {
				err = nil
			}
			return err
		})
		if !slices.Equal(ids(got), tc.want) {
			t.Errorf("TipsBefore(%d) stopping after %d: %v, want %v", tc.before, tc.stop, ids(got), tc.want)
		}
		for _, tip := range got {
			if tip.Text != sampleTip(tip.ID).Text {
				t.Errorf("tip %s read as %+v", tip.ID, tip)
			}
		}
	}
	var other []bot.Tip
	view(t, db, wsB, func(tx bot.ReadTx) error {
		return tx.TipsBefore(0, func(tip bot.Tip) error { other = append(other, tip); return nil })
	})
	if !slices.Equal(ids(other), []bot.TipID{9}) {
		t.Errorf("the other workspace's tips: %v", ids(other))
	}
}

var errStop = errors.New("stop")
