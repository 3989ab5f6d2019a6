package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// ChannelKind says who can read a channel.
type ChannelKind string

// The kinds of channel.
const (
	ChannelPublic  ChannelKind = "public"  // everyone in the workspace may read it
	ChannelPrivate ChannelKind = "private" // members only (Slack private channel, Discord hidden channel or private thread)
	ChannelShared  ChannelKind = "shared"  // shared with another organisation (Slack Connect)
	ChannelDM      ChannelKind = "dm"      // a direct message
	ChannelGroupDM ChannelKind = "group"   // a group direct message
)

// Channel is what the directory of channels keeps about one channel. The
// adapters fill it from the platform (Slack's conversations.info and
// channel events, Discord's channels and permission overwrites).
type Channel struct {
	ID   string
	Name string // "" when the platform gave none
	Kind ChannelKind
	// Hidden is set when the channel is not readable by everyone in the
	// workspace although its kind is public (Discord: @everyone denied
	// VIEW_CHANNEL).
	Hidden bool
	// NotMember is set when the bot is not a member of the channel.
	NotMember bool
	Archived  bool
}

// Restricted reports whether not everyone in the workspace may read the
// channel: its tips are then restricted to it.
func (c Channel) Restricted() bool { return c.Kind != ChannelPublic || c.Hidden }

// direct reports whether the channel is a direct or group direct message.
func (k ChannelKind) direct() bool { return k == ChannelDM || k == ChannelGroupDM }

// Visibility says who may see a tip.
type Visibility string

// The visibilities of a tip. The zero value is VisibilityWorkspace.
const (
	VisibilityWorkspace Visibility = ""
	// VisibilityChannel restricts a tip to its channel.
	VisibilityChannel Visibility = "channel"
	// VisibilityUnknown is a tip captured while its channel was unknown:
	// restricted until the channel is known.
	VisibilityUnknown Visibility = "unknown"
	// VisibilityThread restricts a tip to its thread (Tip.ThreadID), a
	// private thread of its channel (Discord).
	VisibilityThread Visibility = "thread"
)

// Restricted reports whether the tip is shown only in its own channel (and
// to its author in /tips me).
func (t Tip) Restricted() bool { return t.Visibility != VisibilityWorkspace }

// Scope returns the key of the index a restricted tip is kept in (see
// ReadTx.RestrictedTop): its channel, or, restricted to a thread, its
// channel and thread (ThreadScope).
func (t Tip) Scope() string {
	if t.Visibility == VisibilityThread {
		return ThreadScope(t.Channel, t.ThreadID)
	}
	return t.Channel
}

// ThreadScope returns the index key of the tips restricted to a thread of
// a channel.
func ThreadScope(channel, thread string) string { return channel + "\x00" + thread }

// ExportVisibility returns the export column visibility: "workspace" or
// "channel".
func (t Tip) ExportVisibility() string {
	if t.Restricted() {
		return "channel"
	}
	return "workspace"
}

// ChannelsUpdated is what a platform says of some channels of the
// workspace: a listing, a channel event (renamed, archived, shared, made
// private, the bot joined), or the answer to a lookup the core asked for
// (ChannelResolver). The core keeps them in the directory of channels; a
// tip captured while its channel was unknown gets its visibility, and its
// hall of fame post, once the channel is known.
type ChannelsUpdated struct {
	EventMeta
	Channels []Channel
	// IfUnknown keeps only the channels the directory does not know yet:
	// a default (the shell's channels are public unless made private).
	IfUnknown bool
}

// ChannelResolver is implemented by a Chat whose events do not say who can
// read a channel (Slack). After an event in a channel the directory does
// not know is committed, the core passes the channel to it; the adapter
// looks it up in the background and sends a ChannelsUpdated. It must not
// block.
type ChannelResolver interface {
	ResolveChannels(ws Workspace, ids []string)
}

// recChannel keeps the directory of channels (key: channel id → JSON Channel).
const recChannel = "channel"

// channelOf returns what the directory knows of a channel; ok is false
// when it is unknown.
func channelOf(tx ReadTx, id string) (c Channel, ok bool, err error) {
	raw, err := tx.Record(recChannel, id)
	if errors.Is(err, ErrNotFound) {
		return Channel{}, false, nil
	}
	if err != nil {
		return Channel{}, false, err
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return Channel{}, false, fmt.Errorf("bot: decode channel %q: %w", id, err)
	}
	return c, true, nil
}

// visibilityIn returns the visibility of a tip captured now in channel
// (in thread, when set): a channel not known yet counts as restricted; a
// thread the directory knows as restricted (a private thread) restricts the
// tip to it.
func visibilityIn(tx ReadTx, channel, thread string) (Visibility, error) {
	if thread != "" {
		t, ok, err := channelOf(tx, thread)
		if err != nil {
			return VisibilityUnknown, err
		}
		if ok && t.Restricted() {
			return VisibilityThread, nil
		}
	}
	c, ok, err := channelOf(tx, channel)
	switch {
	case err != nil:
		return VisibilityUnknown, err
	case !ok:
		return VisibilityUnknown, nil
	case c.Restricted():
		return VisibilityChannel, nil
	}
	return VisibilityWorkspace, nil
}

// captureRefusal returns the refusal of a capture (Save as tip, the
// capture reaction) in a channel where nothing is captured: a direct or
// group message, or a conversation the bot is not a member of; "" when
// capture is allowed. hint is what the event says of the channel's kind.
func (b *Bot) captureRefusal(ctx context.Context, ws Workspace, channel string, hint ChannelKind) (string, error) {
	if hint.direct() {
		return b.t("capture.private.dm"), nil
	}
	var c Channel
	var ok bool
	if err := b.view(ctx, ws, func(tx ReadTx) error {
		var err error
		c, ok, err = channelOf(tx, channel)
		return err
	}); err != nil {
		return "", err
	}
	switch {
	case !ok:
		return "", nil
	case c.Kind.direct():
		return b.t("capture.private.dm"), nil
	case c.NotMember:
		return b.t("capture.private.member"), nil
	}
	return "", nil
}

// knownChannels remembers, per workspace and channel, that the directory
// of channels knows the channel, so that most events cost no read.
type knownChannels struct{ m sync.Map }

func (k *knownChannels) has(ws Workspace, channel string) bool {
	_, ok := k.m.Load(ws.Key() + "\x00" + channel)
	return ok
}

func (k *knownChannels) add(ws Workspace, channel string) { k.m.Store(ws.Key()+"\x00"+channel, true) }

// channelLookup returns, when the event's channel is unknown to the
// directory of channels and the platform's chat can look channels up, a
// function that asks it to: Handle calls it once the event is committed,
// never before.
func (b *Bot) channelLookup(ctx context.Context, ev Event) (resolve func()) {
	channel := ChannelOf(ev)
	ws := ev.meta().Workspace
	if channel == "" || b.channels.has(ws, channel) {
		return nil
	}
	r, ok := b.chat(ws.Platform).(ChannelResolver)
	if !ok {
		return nil
	}
	known := false
	if err := b.view(ctx, ws, func(tx ReadTx) error {
		_, ok, err := channelOf(tx, channel)
		known = ok
		return err
	}); err != nil {
		b.log.Warn("reading the directory of channels failed", "workspace", ws.Key(), "err", err)
		return nil
	}
	if known {
		b.channels.add(ws, channel)
		return nil
	}
	return func() { r.ResolveChannels(ws, []string{channel}) }
}

// channelsUpdated keeps what the platform says of channels in the
// directory. A tip captured while its channel was unknown gets the
// channel's visibility (and its hall of fame post if it earned one
// meanwhile); a channel that becomes restricted restricts its tips.
func (b *Bot) channelsUpdated(ctx context.Context, e *ChannelsUpdated) error {
	_, err := b.update(ctx, &e.EventMeta, func(tx Tx, out *outbox) (bool, error) {
		changed := false
		for _, c := range e.Channels {
			if c.ID == "" {
				continue
			}
			if c.Kind == "" {
				c.Kind = ChannelPublic
			}
			old, known, err := channelOf(tx, c.ID)
			if err != nil {
				return false, err
			}
			if known && (old == c || e.IfUnknown) {
				continue
			}
			raw, err := json.Marshal(c)
			if err != nil {
				return false, fmt.Errorf("bot: encode channel: %w", err)
			}
			if err := tx.PutRecord(recChannel, c.ID, raw); err != nil {
				return false, err
			}
			changed = true
			if known && old.Restricted() == c.Restricted() {
				continue
			}
			if err := b.revisit(tx, out, e.Workspace, c); err != nil {
				return false, err
			}
		}
		return changed, nil
	})
	if err == nil {
		for _, c := range e.Channels {
			b.channels.add(e.Workspace, c.ID)
		}
	}
	return err
}

// revisit gives the tips of a channel whose visibility became known or
// changed their visibility: restricted ones stay restricted when the
// channel turns public (they were captured where few could read them),
// unknown ones take the channel's.
func (b *Bot) revisit(tx Tx, out *outbox, ws Workspace, c Channel) error {
	var tips []Tip
	if err := tx.TipsInChannel(c.ID, time.Time{}, time.Time{}, func(t Tip) error {
		switch {
		case c.Restricted() && (t.Visibility == VisibilityWorkspace || t.Visibility == VisibilityUnknown):
			tips = append(tips, t)
		case !c.Restricted() && t.Visibility == VisibilityUnknown:
			tips = append(tips, t)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, t := range tips {
		if c.Restricted() {
			t.Visibility = VisibilityChannel
		} else {
			t.Visibility = VisibilityWorkspace
			if err := b.maybeHallOfFame(tx, out, ws, &t); err != nil {
				return err
			}
		}
		if err := tx.PutTip(t); err != nil {
			return err
		}
	}
	return nil
}

// viewer is who asks to see tips, and where: visibility is decided for
// every answer and post that quotes tips by viewer.shows.
type viewer struct {
	channel string // where the answer is shown; "" for a place no restricted tip belongs (hall of fame, digest)
	thread  string // the thread it is shown in, if any
	user    string // who asks; "" for a post
	foreign bool   // the person belongs to another organisation (Slack Connect)
	own     bool   // the answer lists the person's own tips (/tips me)
}

// shows reports whether the tip may be shown here, to this person.
func (v viewer) shows(t Tip) bool {
	here := v.channel != "" && t.Channel == v.channel && (t.Visibility != VisibilityThread || t.ThreadID == v.thread)
	switch {
	case v.foreign:
		return here
	case !t.Restricted():
		return true
	case v.own && v.user != "" && t.AuthorID == v.user:
		return true
	}
	return here
}

// commandViewer is the viewer of a command's answer.
func commandViewer(e *CommandInvoked) viewer {
	return viewer{channel: e.Channel, thread: e.ThreadID, user: e.User.ID, foreign: e.User.Foreign}
}

// postViewer is the viewer of a post in a channel made for everyone (hall
// of fame, digest): only tips of the whole workspace show there.
var postViewer = viewer{}

// narrow drops the tips of the channel's index the viewer may not see
// (those of a private thread, asked outside it).
func (v viewer) narrow(tips []Tip) []Tip {
	return slices.DeleteFunc(tips, func(t Tip) bool { return !v.shows(t) })
}

// scopes returns the indexes of restricted tips the viewer may see: the
// channel's, and its thread's when the answer is given in a thread.
func (v viewer) scopes() []string {
	switch {
	case v.channel == "":
		return nil
	case v.thread == "":
		return []string{v.channel}
	}
	return []string{v.channel, ThreadScope(v.channel, v.thread)}
}

// restrictedMargin is how many more of a channel's restricted tips an
// answer reads than it shows, for those of private threads it drops.
const restrictedMargin = 5

// cmpRank orders tips most useful first, then lower id (the boards' order).
func cmpRank(x, y Tip) int {
	if x.UsefulVotes != y.UsefulVotes {
		return y.UsefulVotes - x.UsefulVotes
	}
	return cmpID(x.ID, y.ID)
}

func cmpID(x, y TipID) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// topTips returns the viewer's n most useful tips of the period: the
// workspace's board merged with the channel's own.
func (v viewer) topTips(tx ReadTx, key string, n int) ([]Tip, error) {
	return v.merge(n, cmpRank,
		func() ([]Tip, error) { return tx.TopTips(key, n) },
		func(scope string) ([]Tip, error) { return tx.RestrictedTop(scope, key, n+restrictedMargin) })
}

// merge returns the viewer's first n tips in the order cmp: the
// workspace's (board, unless the viewer is foreign) merged with the
// restricted ones of each of the viewer's scopes (local) it may see. Each
// list comes in cmp's order; the workspace's is returned as it is when
// nothing restricted is to be shown.
func (v viewer) merge(n int, cmp func(x, y Tip) int, board func() ([]Tip, error), local func(scope string) ([]Tip, error)) ([]Tip, error) {
	var tips []Tip
	if !v.foreign {
		var err error
		if tips, err = board(); err != nil {
			return nil, err
		}
	}
	var more []Tip
	for _, scope := range v.scopes() {
		some, err := local(scope)
		if err != nil {
			return nil, err
		}
		more = append(more, some...)
	}
	if more = v.narrow(more); len(more) == 0 {
		return tips, nil
	}
	tips = append(tips, more...)
	slices.SortFunc(tips, cmp)
	return tips[:min(n, len(tips))], nil
}

// mergeStandings sums the standings of the lists per member (the
// workspace's board and a channel's own, say) and returns the first n.
func mergeStandings(board, local []Standing, n int, cmp func(x, y Standing) int) []Standing {
	sum := map[string]*Standing{}
	for _, list := range [][]Standing{board, local} {
		for _, s := range list {
			if cur := sum[s.Member]; cur != nil {
				cur.Votes += s.Votes
				cur.Tips += s.Tips
			} else {
				sum[s.Member] = &Standing{Member: s.Member, Votes: s.Votes, Tips: s.Tips}
			}
		}
	}
	out := make([]Standing, 0, len(sum))
	for _, s := range sum {
		out = append(out, *s)
	}
	slices.SortFunc(out, cmp)
	return out[:min(n, len(out))]
}

func byVotes(x, y Standing) int {
	return cmpStanding(x.Votes, y.Votes, x.Tips, y.Tips, x.Member, y.Member)
}

// topAuthors returns the viewer's n first contributors of the period: the
// workspace's board and the restricted tips the viewer may see. Only the
// workspace's first n are read, and the workspace standing of a person
// of the channel only when they may rank: whoever is not among the first
// n has at most the n-th's votes there.
func (v viewer) topAuthors(tx ReadTx, key string, n int) ([]Standing, error) {
	local, err := v.localStandings(tx, key)
	if err != nil || v.foreign || len(local) == 0 {
		if err != nil || v.foreign {
			return mergeStandings(nil, local, n, byVotes), err
		}
		return tx.TopAuthors(key, n)
	}
	board, err := tx.TopAuthors(key, n)
	if err != nil {
		return nil, err
	}
	exact := slices.Clone(board)
	onBoard := map[string]bool{}
	for _, s := range board {
		onBoard[s.Member] = true
	}
	var rest []Standing // local people not on the board
	for _, s := range local {
		if onBoard[s.Member] {
			exact = append(exact, s)
		} else {
			rest = append(rest, s)
		}
	}
	exact = mergeStandings(exact, nil, len(exact), byVotes)
	if len(board) < n {
		// The board was read whole: the others have nothing there.
		return mergeStandings(exact, rest, n, byVotes), nil
	}
	floor := board[n-1].Votes // the most anyone else has on the board
	bar := exact[min(n, len(exact))-1].Votes
	var ask []string
	for _, s := range rest {
		if s.Votes+floor >= bar { // may rank
			ask = append(ask, s.Member)
			exact = append(exact, s)
		}
	}
	more, err := tx.AuthorStandings(key, ask)
	if err != nil {
		return nil, err
	}
	exact = append(exact, more...)
	return mergeStandings(exact, nil, n, byVotes), nil
}

// localStandings returns the standings of the restricted tips the viewer
// may see on a board (a person counted in the channel's and its thread's
// index once, summed).
func (v viewer) localStandings(tx ReadTx, board string) ([]Standing, error) {
	scopes := v.scopes()
	var local []Standing
	for _, scope := range scopes {
		more, err := tx.RestrictedStandings(scope, board)
		if err != nil {
			return nil, err
		}
		local = append(local, more...)
	}
	if len(scopes) < 2 {
		return local, nil // one index names each person once
	}
	return mergeStandings(local, nil, len(local), byVotes), nil
}

// experts returns the viewer's n experts of a topic: the workspace's
// experts board, read for n plus the channel's people (so that everyone
// who may rank is read), merged with the restricted tips the viewer may
// see.
func (v viewer) experts(tx ReadTx, topic string, n int) ([]Standing, error) {
	local, err := v.localStandings(tx, "#"+topic)
	if err != nil {
		return nil, err
	}
	var board []Standing
	if !v.foreign {
		if board, err = tx.Experts(topic, n+len(local)); err != nil {
			return nil, err
		}
	}
	return mergeStandings(board, local, n, byVotes), nil
}

// search returns up to limit of the viewer's tips holding every term, most
// useful first, then newest.
func (v viewer) search(tx ReadTx, terms []string, limit int) ([]Tip, error) {
	return v.merge(limit, cmpFound,
		func() ([]Tip, error) { return tx.SearchTips(terms, limit) },
		func(scope string) ([]Tip, error) { return tx.RestrictedSearch(scope, terms, limit+restrictedMargin) })
}

// cmpFound orders search results most useful first, then newest (higher
// id).
func cmpFound(x, y Tip) int {
	if x.UsefulVotes != y.UsefulVotes {
		return y.UsefulVotes - x.UsefulVotes
	}
	return cmpID(y.ID, x.ID)
}

// TopTipsIn returns the n most useful tips of a period ("all" or a key of
// PeriodKeys) that /tips top run in channel shows a member of the
// workspace: the workspace's board merged with the channel's own.
func TopTipsIn(tx ReadTx, channel, period string, n int) ([]Tip, error) {
	return viewer{channel: channel}.topTips(tx, period, n)
}

// TopAuthorsIn returns the n first contributors of a period that /tips top
// run in channel shows.
func TopAuthorsIn(tx ReadTx, channel, period string, n int) ([]Standing, error) {
	return viewer{channel: channel}.topAuthors(tx, period, n)
}

// SearchIn returns up to limit tips holding every term (see QueryTerms)
// that /tips search run in channel shows.
func SearchIn(tx ReadTx, channel string, terms []string, limit int) ([]Tip, error) {
	return viewer{channel: channel}.search(tx, terms, limit)
}
