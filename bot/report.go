package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Audience is an optional capability of a Chat: how many people are
// members of a channel tipbot watches (channel "" = of all of them,
// counted once). Platforms that cannot tell return an error; reports then
// say "unknown" rather than invent a figure.
type Audience interface {
	Members(ctx context.Context, ws Workspace, channel string) (int, error)
}

// Figures are a report's numbers for one period.
type Figures struct {
	Period          Period
	Key             string // period key, e.g. "m2026-11"
	Start, End      time.Time
	Channel         string // "" = the whole workspace
	TipsBySource    map[Source]int64
	Tips            int64
	Contributors    int64
	NewContributors int64
	Members         int // 0 = unknown
	UsefulVotes     int64
	TopContributors []Standing
	TopTips         []Tip
	TopTopics       []Standing
	Sessions        []Session
	Answers         int64
	// SessionPeople is how many people answered each session.
	SessionPeople map[SessionID]int
	// ChannelMembers holds the member count of the sessions' channels,
	// where the platform tells (absent = unknown).
	ChannelMembers map[string]int
	// Unknown is set for a channel report of a channel where no tip or
	// session was ever recorded (a typo, or a channel tipbot is not in).
	Unknown bool
	Pending int64
	// OutboxPending and OutboxFailed: messages owed not yet delivered, and
	// messages the platform refused for good (workspace-wide, all time).
	OutboxPending, OutboxFailed int64
	Moderation                  []ModAction
	// Applied is how many applied marks were given in the period.
	Applied int64
	// FollowUps are the follow-up steps sent in the period, with their
	// answers.
	FollowUps []FollowUpFigure
	// The funnels (workspace reports only; see funnel.go). Participation:
	// Seen people (posted, reacted or ran a command) → Voters (gave a
	// useful vote) → Contributors, all in the period.
	Seen, Voters int64
	// Nudges sent in the period, and how many of those people shared a
	// tip within 7 days of their nudge.
	Nudged, NudgedShared int64
	// The tips captured in the period (Tips) that are published or
	// featured, featured, in a training path, and applied (at least one
	// applied mark).
	Published, Featured, InPath, AppliedTips int64

	Names    map[string]string // author id → name
	Platform Platform
}

// Report computes and renders the engagement report of a workspace for the
// period containing now (channel "" = all channels), with the change
// against the previous period. Workspace-wide figures come from counters
// kept with each event; a channel report reads the channel's tips of the
// period (ReadTx.TipsInChannel).
func (b *Bot) Report(ctx context.Context, ws Workspace, p Period, channel string) (*Message, error) {
	now := b.now()
	cur, err := b.figures(ctx, ws, p, now, channel)
	if err != nil {
		return nil, err
	}
	var prev *Figures
	if p != All {
		start := PreviousPeriodStart(p, PeriodStart(p, now, b.cfg.Location))
		f, err := b.figures(ctx, ws, p, start, channel)
		if err != nil {
			return nil, err
		}
		prev = &f
	}
	if c := b.chat(ws.Platform); c != nil {
		if a, ok := c.(Audience); ok {
			if n, err := a.Members(ctx, ws, channel); err == nil {
				cur.Members = n
			} else {
				b.log.Info("channel members unknown", "workspace", ws.Key(), "err", err)
			}
			for _, s := range shownSessions(cur.Sessions) {
				if _, done := cur.ChannelMembers[s.Channel]; done {
					continue
				}
				if n, err := a.Members(ctx, ws, s.Channel); err == nil && n > 0 {
					cur.ChannelMembers[s.Channel] = n
				}
			}
		}
	}
	if channel != "" && cur.Tips == 0 && len(cur.Sessions) == 0 {
		if cur.Unknown, err = b.channelUnknown(ctx, ws, channel); err != nil {
			return nil, err
		}
	}
	return b.renderReport(cur, prev), nil
}

// Figures returns the numbers of a report (channel "" = the whole
// workspace) for the period of kind p containing at, as Report shows them,
// without the platform's member counts; the dashboard charts them. It
// fails only when the store does.
func (b *Bot) Figures(ctx context.Context, ws Workspace, p Period, at time.Time, channel string) (Figures, error) {
	return b.figures(ctx, ws, p, at, channel)
}

// figures gathers the numbers of the period of kind p containing at.
func (b *Bot) figures(ctx context.Context, ws Workspace, p Period, at time.Time, channel string) (Figures, error) {
	f := Figures{Period: p, Key: PeriodKey(p, at, b.cfg.Location), Channel: channel, TipsBySource: map[Source]int64{},
		Names: map[string]string{}, Platform: ws.Platform, SessionPeople: map[SessionID]int{}, ChannelMembers: map[string]int{}}
	f.Start = PeriodStart(p, at, b.cfg.Location)
	f.End = nextPeriodStart(p, f.Start) // zero for All: no end
	in := func(t time.Time) bool { return !t.Before(f.Start) && (f.End.IsZero() || t.Before(f.End)) }
	err := b.view(ctx, ws, func(tx ReadTx) error {
		var err error
		if channel == "" {
			err = b.counterFigures(tx, &f)
		} else {
			err = b.scanFigures(tx, &f, in)
		}
		if err != nil {
			return err
		}
		if err := b.names(tx, f.TopContributors, f.Names); err != nil {
			return err
		}
		if err := tx.ForEachRecord(recSession, func(_ string, raw []byte) error {
			var s Session
			if err := jsonDecode(raw, &s); err != nil {
				return err
			}
			if in(s.OpenedAt) && (channel == "" || s.Channel == channel) {
				f.Sessions = append(f.Sessions, s)
				f.Answers += int64(len(s.Tips))
				people := map[string]bool{}
				for _, id := range s.Tips {
					t, err := tx.Tip(id)
					if errors.Is(err, ErrNotFound) {
						continue
					}
					if err != nil {
						return err
					}
					people[t.AuthorID] = true
				}
				f.SessionPeople[s.ID] = len(people)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := b.learningFigures(tx, &f, in); err != nil {
			return err
		}
		if f.Pending, err = tx.Counter(counterPending); err != nil {
			return err
		}
		if f.OutboxPending, err = tx.Counter(CounterOutboxPending); err != nil {
			return err
		}
		if f.OutboxFailed, err = tx.Counter(CounterOutboxFailed); err != nil {
			return err
		}
		// The log is in the order actions were taken: read it from the
		// newest back to the period's start, not the whole history. A day's
		// margin covers a clock set back a little.
		err = tx.ForEachRecordReverse(recModLog, func(_ string, raw []byte) error {
			var a ModAction
			if err := json.Unmarshal(raw, &a); err != nil {
				return fmt.Errorf("bot: decode moderation action: %w", err)
			}
			if !f.Start.IsZero() && a.At.Before(f.Start.Add(-24*time.Hour)) {
				return errEnough
			}
			if in(a.At) {
				f.Moderation = append(f.Moderation, a)
			}
			return nil
		})
		if errors.Is(err, errEnough) {
			err = nil
		}
		slices.Reverse(f.Moderation) // oldest first
		return err
	})
	return f, err
}

// nextPeriodStart returns the start of the period after the one starting at start.
func nextPeriodStart(p Period, start time.Time) time.Time {
	switch p {
	case Week:
		return start.AddDate(0, 0, 7)
	case Month:
		return start.AddDate(0, 1, 0)
	case Quarter:
		return start.AddDate(0, 3, 0)
	case Year:
		return start.AddDate(1, 0, 0)
	}
	return time.Time{}
}

// counterFigures reads the workspace-wide figures from counters and
// leaderboards: a handful of reads, whatever the number of tips.
func (b *Bot) counterFigures(tx ReadTx, f *Figures) error {
	for _, src := range Sources {
		n, err := tx.Counter(counterTips(src)(f.Key))
		if err != nil {
			return err
		}
		f.TipsBySource[src] = n
		f.Tips += n
	}
	var err error
	if f.UsefulVotes, err = tx.Counter(counterVotes(f.Key)); err != nil {
		return err
	}
	if f.NewContributors, err = tx.Counter(counterNewContributors(f.Key)); err != nil {
		return err
	}
	n, err := tx.CountAuthors(f.Key)
	if err != nil {
		return err
	}
	f.Contributors = int64(n)
	for _, c := range []struct {
		dst  *int64
		name func(string) string
	}{
		{&f.Seen, counterSeen}, {&f.Voters, counterVoters}, {&f.Nudged, counterNudges}, {&f.NudgedShared, counterNudgesShared},
		{&f.Published, counterPublished}, {&f.Featured, counterFeatured}, {&f.InPath, counterInPath}, {&f.AppliedTips, counterAppliedTips},
	} {
		if *c.dst, err = tx.Counter(c.name(f.Key)); err != nil {
			return err
		}
	}
	if f.TopContributors, err = tx.TopAuthors(f.Key, 5); err != nil {
		return err
	}
	if f.TopTips, err = tx.TopTips(f.Key, 5); err != nil {
		return err
	}
	f.TopTopics, err = tx.TopTopics(f.Key, 5)
	return err
}

// scanFigures computes a channel's figures from its tips of the period.
// Useful votes are then the votes those tips hold.
func (b *Bot) scanFigures(tx ReadTx, f *Figures, in func(time.Time) bool) error {
	authors := map[string]*Standing{}
	topics := map[string]*Standing{}
	var top []Tip // the most useful, in order
	err := tx.TipsInChannel(f.Channel, f.Start, f.End, func(t Tip) error {
		if !in(t.CreatedAt) {
			return nil
		}
		f.TipsBySource[t.Source]++
		f.Tips++
		if !t.Ranked() {
			return nil
		}
		if !t.Restricted() { // counted, never quoted
			top = keepTop(top, t)
		}
		f.UsefulVotes += int64(t.UsefulVotes)
		a := authors[t.AuthorID]
		if a == nil {
			a = &Standing{Member: t.AuthorID}
			authors[t.AuthorID] = a
			if p, err := tx.Person(t.AuthorID); err == nil && in(p.FirstTipAt) {
				f.NewContributors++
			}
		}
		a.Tips++
		a.Votes += int64(t.UsefulVotes)
		for _, topic := range t.Topics {
			s := topics[topic]
			if s == nil {
				s = &Standing{Member: topic}
				topics[topic] = s
			}
			s.Tips++
			s.Votes += int64(t.UsefulVotes)
		}
		return nil
	})
	if err != nil {
		return err
	}
	f.Contributors = int64(len(authors))
	f.TopContributors = topStandings(authors, func(x, y Standing) int { return cmpStanding(x.Votes, y.Votes, x.Tips, y.Tips, x.Member, y.Member) })
	f.TopTopics = topStandings(topics, func(x, y Standing) int { return cmpStanding(x.Tips, y.Tips, x.Votes, y.Votes, x.Member, y.Member) })
	f.TopTips = top
	return nil
}

// topTipsKept is how many top tips a report shows.
const topTipsKept = 5

// keepTop inserts t into top (most useful first, then lower id) when it
// belongs among the first topTipsKept, without sorting every tip.
func keepTop(top []Tip, t Tip) []Tip {
	i, _ := slices.BinarySearchFunc(top, t, func(x, y Tip) int {
		if x.UsefulVotes != y.UsefulVotes {
			return y.UsefulVotes - x.UsefulVotes
		}
		return cmp.Compare(x.ID, y.ID)
	})
	if i >= topTipsKept {
		return top
	}
	top = slices.Insert(top, i, t)
	return top[:min(len(top), topTipsKept)]
}

// cmpStanding orders by a then b descending, then name ascending.
func cmpStanding(a1, a2, b1, b2 int64, n1, n2 string) int {
	switch {
	case a1 != a2:
		return int(a2 - a1)
	case b1 != b2:
		return int(b2 - b1)
	}
	return strings.Compare(n1, n2)
}

func topStandings(m map[string]*Standing, cmp func(x, y Standing) int) []Standing {
	list := make([]Standing, 0, len(m))
	for _, s := range m {
		list = append(list, *s)
	}
	slices.SortFunc(list, cmp)
	return list[:min(5, len(list))]
}

// change renders the change of a figure against the previous period.
func (b *Bot) change(cur, prev int64, hasPrev bool) string {
	if !hasPrev {
		return ""
	}
	switch {
	case cur > prev:
		return fmt.Sprintf(" (▲ %d)", cur-prev)
	case cur < prev:
		return fmt.Sprintf(" (▼ %d)", prev-cur)
	}
	return " (=)"
}

func (b *Bot) renderReport(f Figures, prev *Figures) *Message {
	var p Figures
	if prev != nil {
		p = *prev
	}
	has := prev != nil
	scope := Part{Text: b.t("report.workspace")}
	if f.Channel != "" {
		scope = channelRef(f.Channel)
	}
	m := &Message{TitleParts: b.tp("report.title", b.t("period."+string(f.Period)), scope)}
	add := func(text string) { m.Lines = append(m.Lines, Line{Text: text}) }
	addParts := func(parts ...Part) { m.Lines = append(m.Lines, Line{Parts: parts}) }
	if f.Unknown {
		addParts(b.tp("report.nochannel", scope)...)
	}

	var bySource []string
	for _, src := range Sources {
		if n := f.TipsBySource[src]; n > 0 {
			bySource = append(bySource, fmt.Sprintf("%s %d", b.t("source."+string(src)), n))
		}
	}
	line := b.t("report.tips", f.Tips) + b.change(f.Tips, p.Tips, has)
	if len(bySource) > 0 {
		line += " — " + strings.Join(bySource, ", ")
	}
	add(line)
	add(b.t("report.contributors", f.Contributors) + b.change(f.Contributors, p.Contributors, has) +
		" · " + b.t("report.newcontributors", f.NewContributors) + b.change(f.NewContributors, p.NewContributors, has))
	if f.Members > 0 {
		add(b.t("report.participation", float64(f.Contributors)*100/float64(f.Members), b.plural("contributors", f.Contributors), b.plural("members", int64(f.Members))))
	} else {
		add(b.t("report.participation.unknown"))
	}
	add(b.t("report.votes", f.UsefulVotes) + b.change(f.UsefulVotes, p.UsefulVotes, has))

	add(b.t("top.contributors"))
	if len(f.TopContributors) == 0 {
		add("—")
	}
	for i, a := range f.TopContributors {
		add(b.t("top.contributor", i+1, f.Names[a.Member], b.plural("tips", a.Tips), b.plural("votes", a.Votes)))
	}
	add(b.t("top.tips"))
	if len(f.TopTips) == 0 {
		add("—")
	}
	for i, t := range f.TopTips {
		m.Lines = append(m.Lines, b.tipLine(fmt.Sprintf("%d. ", i+1), t))
	}
	var topics []string
	for _, s := range f.TopTopics {
		topics = append(topics, fmt.Sprintf("#%s (%d)", s.Member, s.Tips))
	}
	if len(topics) == 0 {
		topics = []string{"—"}
	}
	add(b.t("report.topics", strings.Join(topics, ", ")))

	line = b.t("report.sessions", len(f.Sessions)) + b.change(int64(len(f.Sessions)), int64(len(p.Sessions)), has)
	if len(f.Sessions) > 0 {
		line += " — " + b.t("report.sessionanswers", b.plural("answers", f.Answers), b.decimal(float64(f.Answers)/float64(len(f.Sessions)), 1))
	}
	add(line)
	for _, s := range shownSessions(f.Sessions) {
		line := b.tp("report.session.people", s.ID, s.Title, b.plural("answers", int64(len(s.Tips))), b.plural("participants", int64(f.SessionPeople[s.ID])))
		if n := f.ChannelMembers[s.Channel]; n > 0 {
			line = append(line, b.tp("report.session.permember", channelRef(s.Channel), b.decimal(float64(len(s.Tips))/float64(n), 2), b.plural("members", int64(n)))...)
		}
		addParts(line...)
	}
	add(b.t("report.applied", f.Applied) + b.change(f.Applied, p.Applied, has))
	for _, x := range f.FollowUps {
		add(b.t("report.followup", x.Session, x.Title, b.plural("days", int64(x.Delay/(24*time.Hour))), x.Sent,
			x.Answers[AnswerApplied], x.Answers[AnswerNotYet], x.Answers[AnswerNotForMe], x.None))
	}
	if f.Channel == "" {
		add(b.t("report.funnel.people", f.Seen, f.Voters, f.Contributors))
		add(b.t("report.funnel.nudges", f.Nudged, f.NudgedShared))
		add(b.t("report.funnel.tips", f.Tips, f.Published, f.Featured, f.InPath, f.AppliedTips))
	}
	add(b.t("report.pending", f.Pending))
	counts := map[string]int{}
	for _, a := range f.Moderation {
		counts[a.Action]++
	}
	add(b.t("report.moderation", counts["approve"], counts["feature"], counts["reject"]))
	for _, a := range f.Moderation[max(0, len(f.Moderation)-5):] {
		addParts(b.tp("report.modaction", b.formatTime(a.At), mention(a.By), b.t("mod.verb."+a.Action), a.Tip)...)
	}
	if f.OutboxPending > 0 || f.OutboxFailed > 0 {
		add(b.t("report.outbox", f.OutboxPending, f.OutboxFailed))
	}
	return m
}

// cmdReport: /tips report [period] [#channel] (trainers).
func (b *Bot) cmdReport(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	period, channel := Month, ""
	for _, a := range args {
		if p, ok := ParsePeriod(strings.ToLower(a)); ok {
			period = p
			continue
		}
		if c, ok := b.channelArg(e.Workspace.Platform, a); ok {
			channel = c
			continue
		}
		if r := b.badChannelArg(e.Workspace.Platform, a); r != nil {
			return r, nil
		}
		return b.usage("usage.report"), nil
	}
	return b.Report(ctx, e.Workspace, period, channel)
}

// shownSessions returns the sessions a report lists: the last five.
func shownSessions(all []Session) []Session { return all[max(0, len(all)-5):] }

// decimal formats x with the given number of decimals, with the locale's
// decimal separator.
func (b *Bot) decimal(x float64, decimals int) string {
	s := strconv.FormatFloat(x, 'f', decimals, 64)
	if b.cfg.Locale == "fr" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// channelUnknown reports whether no tip and no session was ever recorded
// in a channel.
func (b *Bot) channelUnknown(ctx context.Context, ws Workspace, channel string) (bool, error) {
	known := false
	err := b.view(ctx, ws, func(tx ReadTx) error {
		err := tx.TipsInChannel(channel, time.Time{}, time.Time{}, func(Tip) error { known = true; return errEnough })
		if err != nil && !errors.Is(err, errEnough) {
			return err
		}
		if known {
			return nil
		}
		err = tx.ForEachRecord(recSession, func(_ string, raw []byte) error {
			var s Session
			if err := jsonDecode(raw, &s); err != nil {
				return err
			}
			if s.Channel == channel {
				known = true
				return errEnough
			}
			return nil
		})
		if errors.Is(err, errEnough) {
			err = nil
		}
		return err
	})
	return !known, err
}

// FollowUpFigure is one follow-up step of a session in a report: the
// messages sent in the period and the answers to them, per tip recalled.
type FollowUpFigure struct {
	Session SessionID
	Title   string
	Delay   time.Duration
	Sent    int
	Answers map[string]int // by answer (AnswerApplied...)
	None    int            // tips recalled with no answer
}

// learningFigures gathers the applied marks given in the period and the
// follow-ups sent in it (channel: those of the channel's tips and
// sessions).
func (b *Bot) learningFigures(tx ReadTx, f *Figures, in func(time.Time) bool) error {
	if f.Channel == "" {
		var err error
		if f.Applied, err = tx.Counter(counterApplied(f.Key)); err != nil {
			return err
		}
	} else if err := tx.ForEachRecord(recApplied, func(key string, raw []byte) error {
		marks := map[string]AppliedMark{}
		if err := json.Unmarshal(raw, &marks); err != nil {
			return fmt.Errorf("bot: decode applied marks %s: %w", key, err)
		}
		id, err := keyID(key)
		if err != nil {
			return fmt.Errorf("bot: applied key %q: %w", key, err)
		}
		t, err := tx.Tip(TipID(id))
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil || t.Channel != f.Channel {
			return err
		}
		for _, m := range marks {
			if in(m.At) {
				f.Applied++
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return tx.ForEachRecord(recFollowUp, func(key string, raw []byte) error {
		var fu FollowUps
		if err := json.Unmarshal(raw, &fu); err != nil {
			return fmt.Errorf("bot: decode follow-ups %s: %w", key, err)
		}
		if f.Channel != "" {
			s, err := getSession(tx, fu.Session)
			if errors.Is(err, ErrNotFound) || (err == nil && s.Channel != f.Channel) {
				return nil
			}
			if err != nil {
				return err
			}
		}
		for _, st := range fu.Steps {
			x := FollowUpFigure{Session: fu.Session, Title: fu.Title, Delay: st.Delay, Answers: map[string]int{}}
			for _, item := range st.People {
				if item.SentAt.IsZero() || !in(item.SentAt) {
					continue
				}
				x.Sent++
				for _, id := range item.Tips {
					if a, ok := item.Answers[id]; ok {
						x.Answers[a]++
					} else {
						x.None++
					}
				}
			}
			if x.Sent > 0 {
				f.FollowUps = append(f.FollowUps, x)
			}
		}
		return nil
	})
}
