package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The dashboard's read API: what the web dashboard (adapters/dashboard)
// shows of a workspace, read through the core. What a trainer's dashboard
// shows follows SPEC "Confidentiality": restricted tips (private channels,
// shared channels, DMs never captured) are counted in its figures but never
// quoted: lists and tip pages leave them out, and say how many they left
// out.

// DashboardLinker makes personal dashboard links (adapters/dashboard).
type DashboardLinker interface {
	// DashboardLink returns a link to the workspace's dashboard for the
	// person with that role, and when it expires.
	DashboardLink(ws Workspace, person string, role Role) (link string, expires time.Time, err error)
}

// cmdDashboard: /tips dashboard (trainers) answers privately with a
// personal link to the workspace's dashboard.
func (b *Bot) cmdDashboard(ctx context.Context, e *CommandInvoked, args []string) (Reply, error) {
	if len(args) > 0 {
		return b.usage("usage.dashboard"), nil
	}
	if b.dashboard == nil {
		return b.private(b.t("dashboard.off")), nil
	}
	var role Role
	if err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
		var err error
		role, err = b.roleOf(tx, e.User)
		return err
	}); err != nil {
		return nil, err
	}
	link, expires, err := b.dashboard.DashboardLink(e.Workspace, e.User.ID, role)
	if err != nil {
		return nil, fmt.Errorf("bot: dashboard link: %w", err)
	}
	return b.private(b.t("dashboard.link", b.formatTime(expires), link)), nil
}

// Locale returns the locale the bot speaks ("en" or "fr").
func (b *Bot) Locale() string { return b.cfg.Locale }

// Location returns the time zone of the bot's periods.
func (b *Bot) Location() *time.Location { return b.cfg.Location }

// Now returns the bot's time (its injected clock).
func (b *Bot) Now() time.Time { return b.now() }

// WeekTrend is one week of the dashboard's trend charts, read from the
// counters kept with each event (no scan of tips).
type WeekTrend struct {
	Key             string    // "w2026-48"
	Start           time.Time // Monday 00:00 in the bot's time zone
	TipsBySource    map[Source]int64
	Tips            int64
	UsefulVotes     int64
	Contributors    int64
	NewContributors int64
	Applied         int64
}

// Trends returns the last weeks weeks of a workspace, oldest first, the
// current week last.
func (b *Bot) Trends(ctx context.Context, ws Workspace, weeks int) ([]WeekTrend, error) {
	start := PeriodStart(Week, b.now(), b.cfg.Location)
	out := make([]WeekTrend, weeks)
	for i := range out {
		s := start.AddDate(0, 0, -7*(weeks-1-i))
		out[i] = WeekTrend{Key: PeriodKey(Week, s, b.cfg.Location), Start: s, TipsBySource: map[Source]int64{}}
	}
	err := b.view(ctx, ws, func(tx ReadTx) error {
		for i := range out {
			w := &out[i]
			f := Figures{Key: w.Key, TipsBySource: w.TipsBySource}
			if err := b.counterFigures(tx, &f); err != nil {
				return err
			}
			w.Tips, w.UsefulVotes, w.NewContributors, w.Contributors = f.Tips, f.UsefulVotes, f.NewContributors, f.Contributors
			var err error
			if w.Applied, err = tx.Counter(counterApplied(w.Key)); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// PeriodFigures returns the workspace-wide figures of the period of kind p
// containing now, as reports compute them, with the workspace's member
// count where the platform tells.
func (b *Bot) PeriodFigures(ctx context.Context, ws Workspace, p Period) (Figures, error) {
	f, err := b.figures(ctx, ws, p, b.now(), "")
	if err != nil {
		return f, err
	}
	if a, ok := b.chat(ws.Platform).(Audience); ok {
		if n, err := a.Members(ctx, ws, ""); err == nil {
			f.Members = n
		}
	}
	return f, nil
}

// channelNames adds "#name" for each of the channels the directory
// knows by a name (the others are shown by id).
func channelNames(tx ReadTx, names map[string]string, channels ...string) error {
	for _, id := range channels {
		if _, done := names[id]; done {
			continue
		}
		c, ok, err := channelOf(tx, id)
		if err != nil {
			return err
		}
		names[id] = id
		if ok && c.Name != "" {
			names[id] = "#" + strings.TrimPrefix(c.Name, "#")
		}
	}
	return nil
}

// personNames adds the name of each person the store knows (the others
// are shown by id).
func personNames(tx ReadTx, names map[string]string, people ...string) error {
	for _, id := range people {
		if _, done := names[id]; done || id == "" {
			continue
		}
		names[id] = id
		if p, err := tx.Person(id); err == nil && p.Name != "" {
			names[id] = p.Name
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		} else if m, err := tx.Member(id); err == nil && m.Name != "" {
			names[id] = m.Name
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}

// DashboardChannels returns the channels of the workspace that the
// directory knows and whose tips the dashboard may list (the public
// ones), by name.
func (b *Bot) DashboardChannels(ctx context.Context, ws Workspace) ([]Channel, error) {
	var out []Channel
	err := b.view(ctx, ws, func(tx ReadTx) error {
		return tx.ForEachRecord(recChannel, func(key string, raw []byte) error {
			var c Channel
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("bot: decode channel %q: %w", key, err)
			}
			if !c.Restricted() && !c.Kind.direct() && c.ID == key {
				c.Name = strings.TrimPrefix(c.Name, "#")
				out = append(out, c)
			}
			return nil
		})
	})
	slices.SortFunc(out, func(x, y Channel) int { return strings.Compare(x.Name+"\x00"+x.ID, y.Name+"\x00"+y.ID) })
	return out, err
}

// TipFilter selects the tips the dashboard lists.
type TipFilter struct {
	Words   string // words and #topics, as /tips search reads them; "" = all
	Topic   string // without '#'; "" = any
	Status  Status // "" = any
	Channel string // "" = any
	Before  TipID  // list tips older than this one (0 = from the newest)
	Limit   int    // at most this many (0 = 50)
}

// TipList is a page of the dashboard's list of tips.
type TipList struct {
	Tips []Tip
	// Next is the Before of the next page (0: no more).
	Next TipID
	// Restricted counts the matching tips read but not listed because
	// they are restricted to their channel (SPEC Confidentiality).
	Restricted int
	// Channels names the tips' channels: "#name", or the id when unknown.
	Channels map[string]string
}

// tipScanBudget bounds the tips one page of the list reads, whatever the
// filter: a rare match ends a page early, with a link to go on.
const tipScanBudget = 4000

// FindTips lists a workspace's tips for the dashboard, newest first (most
// useful first when searching words), leaving restricted tips out.
func (b *Bot) FindTips(ctx context.Context, ws Workspace, f TipFilter) (TipList, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	list := TipList{Channels: map[string]string{}}
	match := func(t Tip) bool {
		return (f.Topic == "" || slices.Contains(t.Topics, f.Topic)) &&
			(f.Status == "" || t.Status == f.Status) &&
			(f.Channel == "" || t.Channel == f.Channel)
	}
	err := b.view(ctx, ws, func(tx ReadTx) error {
		if terms := QueryTerms(f.Words); len(terms) > 0 {
			found, err := tx.SearchTips(terms, 200)
			if err != nil {
				return err
			}
			for _, t := range found {
				if match(t) && len(list.Tips) < f.Limit {
					list.Tips = append(list.Tips, t)
				}
			}
			return list.nameChannels(tx)
		}
		scanned := 0
		each := tx.TipsBefore
		if f.Status == StatusPending {
			// The pending index holds every pending tip, however old.
			each = func(before TipID, fn func(Tip) error) error {
				return tx.ForEachRecordReverse(recPending, func(key string, _ []byte) error {
					id, err := keyID(key)
					if err != nil {
						return fmt.Errorf("bot: pending key %q: %w", key, err)
					}
					if before != 0 && TipID(id) >= before {
						return nil
					}
					t, err := tx.Tip(TipID(id))
					if errors.Is(err, ErrNotFound) {
						return nil
					}
					if err != nil {
						return err
					}
					return fn(t)
				})
			}
		}
		err := each(f.Before, func(t Tip) error {
			scanned++
			if match(t) {
				if t.Restricted() {
					list.Restricted++
				} else {
					list.Tips = append(list.Tips, t)
				}
			}
			if len(list.Tips) == f.Limit || scanned == tipScanBudget {
				list.Next = t.ID
				return errEnough
			}
			return nil
		})
		if errors.Is(err, errEnough) {
			err = nil
		}
		if list.Next == 1 {
			list.Next = 0
		}
		if err != nil {
			return err
		}
		return list.nameChannels(tx)
	})
	return list, err
}

func (l *TipList) nameChannels(tx ReadTx) error {
	for _, t := range l.Tips {
		if err := channelNames(tx, l.Channels, t.Channel); err != nil {
			return err
		}
	}
	return nil
}

// TipDetail is a tip as its dashboard page shows it.
type TipDetail struct {
	Tip     Tip
	History []HistoryEntry    // oldest first
	Names   map[string]string // ids of the people and the channel → names
}

// DashboardTip returns a tip and its history. A tip restricted to its
// channel is ErrNotFound: the dashboard never quotes it.
func (b *Bot) DashboardTip(ctx context.Context, ws Workspace, id TipID) (TipDetail, error) {
	d := TipDetail{Names: map[string]string{}}
	err := b.view(ctx, ws, func(tx ReadTx) error {
		var err error
		if d.Tip, err = tx.Tip(id); err != nil {
			return err
		}
		if !postViewer.shows(d.Tip) {
			return ErrNotFound
		}
		if d.History, err = tipHistory(tx, id); err != nil {
			return err
		}
		if err := channelNames(tx, d.Names, d.Tip.Channel); err != nil {
			return err
		}
		for _, h := range d.History {
			if err := personNames(tx, d.Names, h.By); err != nil {
				return err
			}
		}
		return nil
	})
	return d, err
}

// TopicExperts are the experts of one topic.
type TopicExperts struct {
	Topic   Standing
	Experts []Standing
}

// PeopleFigures are what the dashboard's People page shows.
type PeopleFigures struct {
	TopAll, TopMonth []Standing
	Experts          []TopicExperts
	Names            map[string]string // person id → name
}

// People returns the top n contributors of all time and of the month, and
// the three best experts of the n main topics, counting only tips of the
// whole workspace.
func (b *Bot) People(ctx context.Context, ws Workspace, n int) (PeopleFigures, error) {
	p := PeopleFigures{Names: map[string]string{}}
	month := PeriodKey(Month, b.now(), b.cfg.Location)
	err := b.view(ctx, ws, func(tx ReadTx) error {
		var err error
		if p.TopAll, err = tx.TopAuthors("all", n); err != nil {
			return err
		}
		if p.TopMonth, err = tx.TopAuthors(month, n); err != nil {
			return err
		}
		topics, err := tx.TopTopics("all", n)
		if err != nil {
			return err
		}
		for _, topic := range topics {
			ex, err := tx.Experts(topic.Member, 3)
			if err != nil {
				return err
			}
			if err := b.names(tx, ex, p.Names); err != nil {
				return err
			}
			p.Experts = append(p.Experts, TopicExperts{Topic: topic, Experts: ex})
		}
		if err := b.names(tx, p.TopAll, p.Names); err != nil {
			return err
		}
		return b.names(tx, p.TopMonth, p.Names)
	})
	return p, err
}

// SessionFigures are one session as the dashboard's Sessions page shows it.
type SessionFigures struct {
	Session Session
	Channel string // its channel's "#name", or its id
	People  int    // how many people answered
	Members int    // members of its channel, where the platform tells (0 = unknown)
	// FollowUps are its follow-up steps sent so far, with their answers.
	FollowUps []FollowUpFigure
}

// RecentSessions returns the workspace's n latest sessions, newest first.
func (b *Bot) RecentSessions(ctx context.Context, ws Workspace, n int) ([]SessionFigures, error) {
	var out []SessionFigures
	err := b.view(ctx, ws, func(tx ReadTx) error {
		err := tx.ForEachRecordReverse(recSession, func(_ string, raw []byte) error {
			if len(out) == n {
				return errEnough
			}
			var s Session
			if err := jsonDecode(raw, &s); err != nil {
				return err
			}
			sf := SessionFigures{Session: s, Channel: s.Channel}
			names := map[string]string{}
			if err := channelNames(tx, names, s.Channel); err != nil {
				return err
			}
			sf.Channel = names[s.Channel]
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
			sf.People = len(people)
			fu, err := getFollowUps(tx, s.ID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			for _, st := range fu.Steps {
				x := FollowUpFigure{Session: s.ID, Title: s.Title, Delay: st.Delay, Answers: map[string]int{}}
				for _, item := range st.People {
					if item.SentAt.IsZero() {
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
					sf.FollowUps = append(sf.FollowUps, x)
				}
			}
			out = append(out, sf)
			return nil
		})
		if errors.Is(err, errEnough) {
			err = nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if a, ok := b.chat(ws.Platform).(Audience); ok {
		members := map[string]int{}
		for i := range out {
			c := out[i].Session.Channel
			if _, done := members[c]; !done {
				members[c], _ = a.Members(ctx, ws, c)
			}
			out[i].Members = members[c]
		}
	}
	return out, nil
}

// PendingList is the dashboard's moderation queue.
type PendingList struct {
	Tips  []Tip // the oldest pending tips the dashboard may quote
	Total int64 // every pending tip, restricted ones included
	// Restricted counts the pending tips read but not listed because they
	// are restricted to their channel: trainers approve them there.
	Restricted int
	// Channels names the tips' channels: "#name", or the id when unknown.
	Channels map[string]string
}

// PendingTips returns up to n of the workspace's pending tips, oldest first.
func (b *Bot) PendingTips(ctx context.Context, ws Workspace, n int) (PendingList, error) {
	p := PendingList{Channels: map[string]string{}}
	err := b.view(ctx, ws, func(tx ReadTx) error {
		var err error
		if p.Total, err = tx.Counter(counterPending); err != nil {
			return err
		}
		err = tx.ForEachRecord(recPending, func(key string, _ []byte) error {
			if len(p.Tips) >= n {
				return errEnough
			}
			id, err := keyID(key)
			if err != nil {
				return fmt.Errorf("bot: pending key %q: %w", key, err)
			}
			t, err := tx.Tip(TipID(id))
			switch {
			case errors.Is(err, ErrNotFound):
				return nil
			case err != nil:
				return err
			case postViewer.shows(t):
				p.Tips = append(p.Tips, t)
				return channelNames(tx, p.Channels, t.Channel)
			default:
				p.Restricted++
			}
			return nil
		})
		if errors.Is(err, errEnough) {
			err = nil
		}
		return err
	})
	return p, err
}

// recDashboardNonce records the dashboard links already exchanged for a
// session (key: the link's nonce → its expiry, RFC 3339).
const recDashboardNonce = "dashboard.nonce"

// UseDashboardNonce records a dashboard link's nonce as used and reports
// whether it was unused until then. Nonces of links expired are forgotten
// on the way: such links are refused anyway.
func (b *Bot) UseDashboardNonce(ctx context.Context, ws Workspace, nonce string, expires time.Time) (fresh bool, err error) {
	if nonce == "" {
		return false, errors.New("bot: empty dashboard nonce")
	}
	now := b.now()
	err = b.store.Update(ctx, ws, func(tx Tx) error {
		fresh = false
		if _, err := tx.Record(recDashboardNonce, nonce); err == nil {
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		var stale []string
		if err := tx.ForEachRecord(recDashboardNonce, func(key string, raw []byte) error {
			var until time.Time
			if json.Unmarshal(raw, &until) == nil && until.Before(now) {
				stale = append(stale, key)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range stale {
			if err := tx.DeleteRecord(recDashboardNonce, k); err != nil {
				return err
			}
		}
		raw, err := json.Marshal(expires.UTC())
		if err != nil {
			return err
		}
		fresh = true
		return tx.PutRecord(recDashboardNonce, nonce, raw)
	})
	return fresh, err
}
