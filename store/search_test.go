package store

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tipbot/tipbot/bot"
)

// TestSearchLarge checks SearchTips against brute force on enough tips to
// split posting blocks, probe them, and rank through the all-time board.
func TestSearchLarge(t *testing.T) {
	db := mustOpen(t)
	r := rand.New(rand.NewPCG(7, 7))
	const n = 5000
	text := func(id int) string {
		words := []string{"filler"}
		if id%5 != 1 { // odd tips too may lack it
			words = append(words, "common")
		}
		if id%2 == 1 {
			words = append(words, "odd")
		}
		if id%3 == 0 {
			words = append(words, "third")
		}
		if id%10 == 1 || id%10 == 2 { // half of them lack "common"
			words = append(words, "tenth")
		}
		if id%97 == 0 {
			words = append(words, "rare")
		}
		if r.IntN(4) == 0 {
			words = append(words, "random")
		}
		return strings.Join(words, " ") + " #topic"
	}
	status := func() bot.Status {
		if r.IntN(10) == 0 {
			return bot.StatusPending
		}
		return bot.StatusPublished
	}
	// Tips of three months and tips without a month: all time merges four
	// boards ("all" is implied).
	periods := [][]string{{"m2026-09"}, {"m2026-10"}, {"m2026-11"}, nil}
	update(t, db, wsA, func(tx bot.Tx) error {
		for id := 1; id <= n; id++ {
			tip := bot.Tip{ID: bot.TipID(id), AuthorID: fmt.Sprint("U", id%40), Status: status(),
				UsefulVotes: r.IntN(6), CreatedAt: t0, Periods: periods[r.IntN(len(periods))]}
			setText(&tip, text(id))
			if err := tx.PutTip(tip); err != nil {
				return err
			}
		}
		return nil
	})
	// Old pending tips get published (ids older than most postings), some
	// tips are deleted or edited, votes move.
	update(t, db, wsA, func(tx bot.Tx) error {
		for id := 1; id <= n; id++ {
			tip, err := tx.Tip(bot.TipID(id))
			if err != nil {
				return err
			}
			switch r.IntN(10) {
			case 0:
				tip.Status = bot.StatusPublished
			case 1:
				if err := tx.DeleteTip(tip.ID); err != nil {
					return err
				}
				continue
			case 2:
				setText(&tip, text(id))
			case 3:
				tip.UsefulVotes = r.IntN(8)
			}
			if err := tx.PutTip(tip); err != nil {
				return err
			}
		}
		return nil
	})
	queries := [][]string{{"common"}, {"odd"}, {"third"}, {"rare"}, {"random"}, {"#topic"}, {"topic"},
		{"common", "odd"}, {"odd", "third"}, {"rare", "odd"}, {"rare", "common", "#topic"}, {"random", "third"},
		{"odd", "missing"}, {"ODD"}, {"tenth", "common"}, {"common", "tenth", "odd"}, {"tenth", "third"}}
	view(t, db, wsA, func(rtx bot.ReadTx) error {
		var ranked []bot.Tip
		_ = rtx.ForEachTip(func(tip bot.Tip) error {
			if tip.Ranked() {
				ranked = append(ranked, tip)
			}
			return nil
		})
		for _, q := range queries {
			var want []bot.Tip
			for _, tip := range ranked {
				have := bot.SearchTerms(tip)
				if !slices.ContainsFunc(q, func(term string) bool { return !slices.Contains(have, term) }) {
					want = append(want, tip)
				}
			}
			slices.SortFunc(want, func(a, b bot.Tip) int {
				return cmp.Or(-cmp.Compare(a.UsefulVotes, b.UsefulVotes), -cmp.Compare(a.ID, b.ID))
			})
			for _, limit := range []int{1, 2, 3, 5, 10, 3000, n} {
				got, err := rtx.SearchTips(q, limit)
				w := want[:min(limit, len(want))]
				if err != nil || !reflect.DeepEqual(ids(got), ids(w)) {
					t.Errorf("SearchTips(%q, %d): %d results (err %v), want %d; first %v want %v",
						q, limit, len(got), err, len(w), ids(got)[:min(5, len(got))], ids(w)[:min(5, len(w))])
				}
			}
			// Both ranking strategies agree whatever the size.
			var matches []uint64
			for _, tip := range want {
				matches = append(matches, uint64(tip.ID))
			}
			slices.SortFunc(matches, func(a, b uint64) int { return cmp.Compare(b, a) })
			tx := rtx.(*tx)
			all, err := tx.rankView("all")
			if err != nil || len(all) != len(periods) {
				t.Fatalf("rankView(all) = %d boards, %v; want %d", len(all), err, len(periods))
			}
			for _, limit := range []int{1, 7, 50} {
				byBoard, done := rankByBoard(all, matches, limit, 1<<30)
				direct, err := tx.rankDirect(matches, limit)
				if err != nil || !done || !slices.Equal(byBoard, direct) {
					t.Errorf("%q limit %d: board %v (done %v), direct %v (%v)", q, limit, byBoard, done, direct, err)
				}
			}
			if _, done := rankByBoard(all, matches, 50, 3); len(matches) > 3 && done {
				t.Errorf("%q: board walk ignored its budget", q)
			}
		}
		return nil
	})
	// The index's structure holds and matches a rebuild.
	got := dumpIndexes(t, db, wsA)
	fresh := mustOpen(t)
	var tips []bot.Tip
	view(t, db, wsA, func(tx bot.ReadTx) error {
		return tx.ForEachTip(func(tip bot.Tip) error { tips = append(tips, tip); return nil })
	})
	putTips(t, fresh, wsA, tips)
	if want := dumpIndexes(t, fresh, wsA); !reflect.DeepEqual(got, want) {
		t.Errorf("indexes differ from a rebuild (%d entries, rebuilt %d)", len(got), len(want))
	}
}
