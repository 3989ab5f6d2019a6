package store

import (
	"slices"
	"testing"

	"github.com/tipbot/tipbot/bot"
)

// restrictedIDs lists a channel's restricted index.
func restrictedIDs(tb testing.TB, db *DB, channel string) []bot.TipID {
	tb.Helper()
	var out []bot.TipID
	view(tb, db, wsA, func(tx bot.ReadTx) error {
		return tx.RestrictedTips(channel, func(t bot.Tip) error { out = append(out, t.ID); return nil })
	})
	return out
}

func TestRestrictedTipsAreIndexedByChannel(t *testing.T) {
	t.Parallel()
	db := mustOpen(t)
	public := sampleTip(1)
	private := sampleTip(2)
	private.Channel, private.Visibility = "G1", bot.VisibilityChannel
	unknown := sampleTip(3)
	unknown.Channel, unknown.Visibility = "C7", bot.VisibilityUnknown
	update(t, db, wsA, func(tx bot.Tx) error {
		for _, tip := range []bot.Tip{public, private, unknown} {
			if err := tx.PutTip(tip); err != nil {
				return err
			}
		}
		return nil
	})
	check := func(wantTop []bot.TipID, wantG1, wantC7 []bot.TipID) {
		t.Helper()
		view(t, db, wsA, func(tx bot.ReadTx) error {
			top, err := tx.TopTips("all", 10)
			if err != nil {
				return err
			}
			if got := ids(top); !equalIDs(got, wantTop) {
				t.Errorf("top = %v, want %v", got, wantTop)
			}
			found, err := tx.SearchTips([]string{"bisect"}, 10)
			if err != nil {
				return err
			}
			got := ids(found)
			slices.Sort(got)
			if !equalIDs(got, wantTop) {
				t.Errorf("search = %v, want %v", got, wantTop)
			}
			experts, err := tx.Experts("git", 10)
			if err != nil {
				return err
			}
			if len(experts) != 1 || experts[0].Tips != int64(len(wantTop)) {
				t.Errorf("experts = %+v, want U1 with %d tips", experts, len(wantTop))
			}
			return nil
		})
		if got := restrictedIDs(t, db, "G1"); !equalIDs(got, wantG1) {
			t.Errorf("G1 index = %v, want %v", got, wantG1)
		}
		if got := restrictedIDs(t, db, "C7"); !equalIDs(got, wantC7) {
			t.Errorf("C7 index = %v, want %v", got, wantC7)
		}
	}
	check([]bot.TipID{1}, []bot.TipID{2}, []bot.TipID{3})

	// The channel of tip 3 becomes known public; tip 2 is rejected.
	unknown.Visibility = bot.VisibilityWorkspace
	private.Status = bot.StatusRejected
	update(t, db, wsA, func(tx bot.Tx) error {
		if err := tx.PutTip(unknown); err != nil {
			return err
		}
		return tx.PutTip(private)
	})
	check([]bot.TipID{1, 3}, nil, nil)

	// Restricted again, then deleted.
	unknown.Visibility = bot.VisibilityChannel
	update(t, db, wsA, func(tx bot.Tx) error { return tx.PutTip(unknown) })
	check([]bot.TipID{1}, nil, []bot.TipID{3})
	view(t, db, wsA, func(tx bot.ReadTx) error {
		got, err := tx.Tip(3)
		if err == nil && got.Visibility != bot.VisibilityChannel {
			t.Errorf("visibility read back = %q", got.Visibility)
		}
		return err
	})
	update(t, db, wsA, func(tx bot.Tx) error { return tx.DeleteTip(3) })
	check([]bot.TipID{1}, nil, nil)
}

func equalIDs(a, b []bot.TipID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
