package bot

import "testing"

// TestForgetTake: a forget-me step takes tips up to forgetWork of their
// cost and forgetTipChunk of them, and always at least one, so that a
// tip costlier than the budget is deleted alone rather than never.
func TestForgetTake(t *testing.T) {
	defer SetForgetTips(4, 100)()
	cases := []struct {
		work []int
		want int
	}{
		{nil, 0},
		{[]int{30, 30, 30, 30, 30}, 3}, // 90 fits, 120 does not
		{[]int{500, 10}, 1},            // one tip beyond the budget goes alone
		{[]int{10, 500}, 1},
		{[]int{10, 10, 10, 10, 10}, 4}, // the count bound
		{[]int{50, 50}, 2},             // exactly the budget
	}
	for _, c := range cases {
		if got := forgetTake(c.work); got != c.want {
			t.Errorf("forgetTake(%v) = %d, want %d", c.work, got, c.want)
		}
	}
	short := forgetCost(Tip{Text: "use git bisect run", Topics: []string{"git"}, Periods: []string{"w2026-48", "m2026-11"}})
	long := forgetCost(Tip{Text: "use git bisect run to find the commit that broke the build, then read its diff",
		Topics: []string{"git", "debug", "ci"}, Periods: []string{"w2026-48", "m2026-11"}, UsefulVotes: 12})
	if short <= 0 || long <= short {
		t.Errorf("forgetCost: a short tip %d, a long tip with votes %d", short, long)
	}
}
