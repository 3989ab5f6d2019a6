package store

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
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

func TestRestrictedRankingsAndSearch(t *testing.T) {
	t.Parallel()
	db := mustOpen(t)
	mk := func(id bot.TipID, author string, votes int, text string, topics ...string) bot.Tip {
		tip := sampleTip(id)
		tip.Channel, tip.Visibility, tip.AuthorID, tip.UsefulVotes, tip.Text, tip.Topics = "G1", bot.VisibilityChannel, author, votes, text, topics
		return tip
	}
	tips := []bot.Tip{
		mk(1, "U1", 3, "rotate the deploy keys #security", "security"),
		mk(2, "U2", 5, "deploy keys live in the vault #security", "security"),
		mk(3, "U1", 1, "the vault has an audit log"),
	}
	update(t, db, wsA, func(tx bot.Tx) error {
		for _, tip := range tips {
			if err := tx.PutTip(tip); err != nil {
				return err
			}
		}
		return nil
	})
	month := tips[0].Periods[1]
	check := func(wantTop []bot.TipID, wantStand map[string]int64, wantSearch []bot.TipID) {
		t.Helper()
		view(t, db, wsA, func(tx bot.ReadTx) error {
			top, err := tx.RestrictedTop("G1", month, 2)
			if err != nil {
				return err
			}
			if got := ids(top); !equalIDs(got, wantTop) {
				t.Errorf("top of %s = %v, want %v", month, got, wantTop)
			}
			stand, err := tx.RestrictedStandings("G1", "#security")
			if err != nil {
				return err
			}
			got := map[string]int64{}
			for _, s := range stand {
				got[s.Member] = s.Votes
			}
			if len(got) != len(wantStand) {
				t.Errorf("experts = %v, want %v", got, wantStand)
			}
			for m, v := range wantStand {
				if got[m] != v {
					t.Errorf("experts = %v, want %v", got, wantStand)
				}
			}
			found, err := tx.RestrictedSearch("G1", []string{"deploy", "keys"}, 10)
			if err != nil {
				return err
			}
			if got := ids(found); !equalIDs(got, wantSearch) {
				t.Errorf("search = %v, want %v", got, wantSearch)
			}
			if other, err := tx.RestrictedSearch("G2", []string{"deploy"}, 10); err != nil || len(other) != 0 {
				t.Errorf("search in another channel = %v, %v", ids(other), err)
			}
			return nil
		})
	}
	check([]bot.TipID{2, 1}, map[string]int64{"U1": 3, "U2": 5}, []bot.TipID{2, 1})

	// A vote moves tip 1 ahead; tip 2's text loses "deploy".
	tips[0].UsefulVotes = 9
	tips[1].Text = "keys live in the vault #security"
	update(t, db, wsA, func(tx bot.Tx) error {
		if err := tx.PutTip(tips[0]); err != nil {
			return err
		}
		return tx.PutTip(tips[1])
	})
	check([]bot.TipID{1, 2}, map[string]int64{"U1": 9, "U2": 5}, []bot.TipID{1})

	// Deleted and made public: gone from the channel's index.
	tips[1].Visibility = bot.VisibilityWorkspace
	update(t, db, wsA, func(tx bot.Tx) error {
		if err := tx.DeleteTip(1); err != nil {
			return err
		}
		return tx.PutTip(tips[1])
	})
	check([]bot.TipID{3}, map[string]int64{}, nil)
}

// TestRestrictedSearchRanksLikeReadingEachTip checks that a channel's
// search, which walks the channel's ranking when its matches are many,
// orders them as reading each match does (most useful first, then newest)
// for limits that cut inside and between groups of equal votes, and with
// matches too few or too sparse for the walk.
func TestRestrictedSearchRanksLikeReadingEachTip(t *testing.T) {
	t.Parallel()
	db := mustOpen(t)
	var all []bot.Tip
	update(t, db, wsA, func(tx bot.Tx) error {
		for i := 1; i <= 300; i++ {
			tip := sampleTip(bot.TipID(i))
			tip.Channel, tip.Visibility = "G1", bot.VisibilityChannel
			tip.MessageID = fmt.Sprintf("m%d", i)
			tip.UsefulVotes = (i * 7) % 5 // groups of equal votes, ids interleaved
			switch {
			case i%3 == 0:
				tip.Text = "rotate the deploy keys monthly"
			case i == 1 || i == 200:
				tip.Text = "rare words: zebra crossing"
			default:
				tip.Text = "use git bisect to find regressions"
			}
			tip.Topics = nil
			all = append(all, tip)
			if err := tx.PutTip(tip); err != nil {
				return err
			}
		}
		return nil
	})
	want := func(word string, limit int) []bot.TipID {
		var m []bot.Tip
		for _, tip := range all {
			if strings.Contains(tip.Text, word) {
				m = append(m, tip)
			}
		}
		slices.SortFunc(m, func(x, y bot.Tip) int {
			return cmp.Or(cmp.Compare(y.UsefulVotes, x.UsefulVotes), cmp.Compare(y.ID, x.ID))
		})
		return ids(m[:min(limit, len(m))])
	}
	for _, word := range []string{"deploy", "bisect", "zebra"} {
		for _, limit := range []int{1, 3, 10, 25, 60, 99, 500} {
			view(t, db, wsA, func(tx bot.ReadTx) error {
				found, err := tx.RestrictedSearch("G1", []string{word}, limit)
				if err != nil {
					return err
				}
				if got, w := ids(found), want(word, limit); !equalIDs(got, w) {
					t.Errorf("search %q limit %d = %v, want %v", word, limit, got, w)
				}
				return nil
			})
		}
	}
}
