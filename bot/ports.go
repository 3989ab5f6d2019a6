package bot

import (
	"context"
	"time"
)

// Store is the persistence port. Every transaction is bound to one
// workspace: nothing read or written through it can touch another
// workspace's data. Never call Update from inside View: a long read blocks
// the writer when the file must grow.
//
// Update runs fn in a read-write transaction and returns only once the
// transaction is durably committed (or failed), so an adapter may
// acknowledge the platform after Update returns. Concurrent Updates may be
// committed together in one transaction (group commit); fn may therefore run
// more than once and must have no effect outside tx. If fn returns an error
// nothing it wrote is kept and Update returns that error.
type Store interface {
	Update(ctx context.Context, ws Workspace, fn func(tx Tx) error) error
	View(ctx context.Context, ws Workspace, fn func(tx ReadTx) error) error
	// Workspaces lists the workspaces that have data, in key order.
	Workspaces(ctx context.Context) ([]Workspace, error)
}

// BehindStore is implemented by a Store that can run the steps of a long
// job behind other writes: UpdateBehind is Update for one step, run in a
// transaction of its own that waits, while other updates are queued, for
// one batch of them to commit first. Forget-me erases a prolific person
// this way, so that others' votes wait behind one step at most.
type BehindStore interface {
	UpdateBehind(ctx context.Context, ws Workspace, fn func(tx Tx) error) error
}

// ReadTx is a read-only view of one workspace. Slices and strings it returns
// are copies, valid after the transaction ends. Lookups of a missing record
// return ErrNotFound.
type ReadTx interface {
	// Tip returns the tip with that id.
	Tip(id TipID) (Tip, error)
	// TipByMessage returns the tip captured from that message.
	TipByMessage(channel, messageID string) (Tip, error)
	// ForEachTip calls fn for every tip, in id order, until fn returns an error.
	ForEachTip(fn func(Tip) error) error
	// TipsBefore calls fn for each tip with an id below before (0: every
	// tip), newest (highest id) first, until fn returns an error.
	TipsBefore(before TipID, fn func(Tip) error) error
	// TipsByAuthor calls fn for each tip of the author, in id order.
	TipsByAuthor(authorID string, fn func(Tip) error) error
	// TipsInChannel calls fn for each tip captured in the channel and
	// created in [from, to) (zero to: no end), oldest first, until fn
	// returns an error.
	TipsInChannel(channel string, from, to time.Time, fn func(Tip) error) error
	// RestrictedTips calls fn, in id order, for each ranked restricted tip
	// (Tip.Restricted) of a scope (Tip.Scope: a channel, or a channel's
	// thread): the scope's own index, which the workspace's rankings and
	// search do not hold.
	RestrictedTips(scope string, fn func(Tip) error) error
	// RestrictedTop returns up to n of the scope's ranked restricted tips
	// on a board (a key of PeriodKeys, "all", or "#topic"), most useful
	// first, then lower id.
	RestrictedTop(scope, board string, n int) ([]Tip, error)
	// RestrictedStandings returns the authors of the scope's ranked
	// restricted tips on a board with the votes and tips they gathered
	// there, in no particular order.
	RestrictedStandings(scope, board string) ([]Standing, error)
	// RestrictedSearch returns up to limit of the scope's ranked restricted
	// tips holding every term, most useful first, then newest.
	RestrictedSearch(scope string, terms []string, limit int) ([]Tip, error)

	// Vote returns the voter's useful reactions on the tip.
	Vote(tip TipID, voter string) (Vote, error)
	// ForEachVote calls fn for each voter of the tip, in voter order.
	ForEachVote(tip TipID, fn func(voter string, v Vote) error) error
	// PendingVotes returns the useful reactions recorded on a message that is
	// not a tip, in voter order (empty, not ErrNotFound, when there are none).
	PendingVotes(channel, messageID string) ([]PendingVote, error)
	// VotesBy locates every vote and pending vote given by voter. It reads
	// every vote of the workspace: call it in a read transaction (View),
	// where it holds up no event.
	VotesBy(voter string) (VoteRefs, error)

	// Person returns what is kept about a contributor.
	Person(id string) (Person, error)
	// Member returns what the directory of people knows of a person.
	Member(id string) (Member, error)

	// TopTips returns up to n ranked tips created in the period, most useful
	// first (ties: lower id first). period is a key from PeriodKeys or "all".
	TopTips(period string, n int) ([]Tip, error)
	// TopAuthors returns up to n authors of ranked tips created in the period,
	// ordered by votes received, then tips, then id.
	TopAuthors(period string, n int) ([]Standing, error)
	// AuthorRank returns the author's standing in the period and their rank
	// (1 = first); ErrNotFound when they have no ranked tip in the period.
	AuthorRank(period, authorID string) (Standing, int, error)
	// AuthorStandings returns the standings in the period of those of the
	// authors who have ranked tips in it, without their ranks, in no
	// particular order.
	AuthorStandings(period string, authorIDs []string) ([]Standing, error)
	// CountAuthors returns how many distinct authors have ranked tips in the period.
	CountAuthors(period string) (int, error)
	// TopTopics returns up to n topics of ranked tips created in the period,
	// by number of tips (Standing.Tips), then votes, then name.
	TopTopics(period string, n int) ([]Standing, error)
	// Experts returns up to n authors of ranked tips on the topic, ordered by
	// votes received on those tips, then tips, then id.
	Experts(topic string, n int) ([]Standing, error)
	// Rankings and search hold only the tips of the whole workspace, not
	// restricted ones (see RestrictedTips).
	//
	// SearchTips returns up to limit ranked tips that contain every term
	// (terms as produced by SearchTerms), most useful first, then newest.
	SearchTips(terms []string, limit int) ([]Tip, error)

	// Counter returns a named counter (0 when never set).
	Counter(name string) (int64, error)
	// EventSeen reports whether an event id was marked by MarkEvent recently
	// (ids are kept for at least 24 hours after the time given to MarkEvent).
	EventSeen(id string) (bool, error)
	// Record returns an opaque record of a kind (sessions, schedules, roles,
	// adapter state...).
	Record(kind, key string) ([]byte, error)
	// ForEachRecord calls fn for every record of a kind, in key order.
	ForEachRecord(kind string, fn func(key string, value []byte) error) error
	// ForEachRecordReverse calls fn for every record of a kind, in
	// decreasing key order, until fn returns an error (which it returns).
	ForEachRecordReverse(kind string, fn func(key string, value []byte) error) error
}

// Tx is a read-write transaction on one workspace. The store keeps every
// index and leaderboard in step with the tips it is given, in the same
// transaction.
type Tx interface {
	ReadTx
	// NextTipID reserves a new tip id.
	NextTipID() (TipID, error)
	// PutTip creates or replaces the tip with t.ID, updating the message
	// index, the author index, the search index and the leaderboards of
	// t.Periods and of "all", which every tip counts in (only Ranked tips
	// appear in rankings and search). Ids, channels, periods and topics
	// longer than 4096 bytes are refused.
	PutTip(t Tip) error
	// DeleteTip removes the tip, its votes and every index entry for it; a
	// missing tip is not an error.
	DeleteTip(id TipID) error

	// PutVote sets the voter's useful reactions on a tip (no emojis deletes
	// the vote); DeleteVote removes them. Neither changes Tip.UsefulVotes:
	// the core does that with PutTip.
	PutVote(tip TipID, voter string, v Vote) error
	DeleteVote(tip TipID, voter string) error
	// ReassignVotes relinks the votes and pending votes of voter that refs
	// locates (see VotesBy) to newVoter, merging emoji sets where newVoter
	// reacted too, skips those gone since, and returns how many it moved.
	// It is used to forget a person while keeping counts.
	ReassignVotes(refs VoteRefs, voter, newVoter string) (int, error)

	// PutPendingVote records (or, with no emojis, removes) a voter's useful
	// reactions on a message that is not a tip.
	PutPendingVote(channel, messageID string, v PendingVote) error
	// DeletePendingVotes drops every pending vote on the message.
	DeletePendingVotes(channel, messageID string) error

	// PutPerson stores what is kept about a contributor; DeletePerson forgets it.
	PutPerson(p Person) error
	DeletePerson(id string) error

	// PutMember stores a person in the directory of people; DeleteMember
	// erases them (no error when missing).
	PutMember(m Member) error
	DeleteMember(id string) error

	// AddCounter adds delta to a named counter.
	AddCounter(name string, delta int64) error
	// MarkEvent remembers an event id as handled at time at.
	MarkEvent(id string, at time.Time) error
	// PutRecord stores an opaque record; DeleteRecord removes it (no error
	// when missing).
	PutRecord(kind, key string, value []byte) error
	DeleteRecord(kind, key string) error
}

// Chat is the outbound port an adapter implements for its platform. Every
// method must wait out rate limits rather than drop the message.
type Chat interface {
	// Post sends a message to a channel (in Message.Thread when set) and
	// returns the platform's id of the new message.
	Post(ctx context.Context, ws Workspace, channel string, m Message) (messageID string, err error)
	// React adds the bot's reaction (an emoji name as configured for the
	// platform) to a message.
	React(ctx context.Context, ws Workspace, channel, messageID, emoji string) error
	// Direct sends a private message to a person.
	Direct(ctx context.Context, ws Workspace, userID string, m Message) error
}

// RefReactor is a Chat that needs a message's whole reference, its thread
// included, to react to it (Discord: a message in a thread is reached
// through the thread's id). The outbox uses it when it knows the thread.
type RefReactor interface {
	// ReactTo adds the bot's reaction to the message ref points at.
	ReactTo(ctx context.Context, ws Workspace, ref MessageRef, emoji string) error
}

// PeopleResolver is implemented by a Chat whose platform's events name
// people by id only (Slack). After an event is committed, the core passes
// it the people the event named that the directory does not know; the
// adapter looks them up in the background (coalesced, paced) and sends
// what it learned as a PeopleUpdated event with Resolved set. Resolve must
// not block.
type PeopleResolver interface {
	Resolve(ws Workspace, ids []string)
}

// CronParser parses a cron expression: five fields ("0 17 * * FRI"),
// optionally prefixed with "CRON_TZ=Area/City "; without the prefix the
// times are in loc. The command line provides one (package cron); the core
// does the scheduling.
type CronParser func(spec string, loc *time.Location) (CronSchedule, error)

// CronSchedule computes run times of a parsed cron expression.
type CronSchedule interface {
	// Next returns the first run time strictly after t (zero if none).
	Next(t time.Time) time.Time
	// Location returns the time zone the expression is read in.
	Location() *time.Location
}
