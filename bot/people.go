package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Member is what the directory of people keeps about one person of a
// workspace. The adapters fill it (Slack's member list, its user_change
// and team_join events and its lookups; the member objects Discord events
// carry); the core reads names and flags from it when an event names a
// person by id only, so that no event waits on the platform's API before
// it is committed.
type Member struct {
	ID      string
	Name    string // display name; "" when the platform gave none
	Bot     bool
	Admin   bool   // platform admin or owner
	Locale  string // the person's language as the platform says it ("fr-FR"); "" when unknown
	Deleted bool   // the account is deactivated
	// Foreign is set for a person of another organisation than the
	// workspace's (Slack Connect): see User.Foreign.
	Foreign bool
}

// recDirectory holds what the directory notes about itself: key
// dirListed is when the workspace's members were last listed completely.
const (
	recDirectory = "directory"
	dirListed    = "listed"
)

// DirectoryListedAt returns when the workspace's members were last listed
// completely (a PeopleUpdated with Listed), or the zero time when never:
// an adapter lists them again only when that is old.
func (b *Bot) DirectoryListedAt(ctx context.Context, ws Workspace) (time.Time, error) {
	var at time.Time
	err := b.view(ctx, ws, func(tx ReadTx) error {
		raw, err := tx.Record(recDirectory, dirListed)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		at, err = time.Parse(time.RFC3339Nano, string(raw))
		if err != nil {
			return fmt.Errorf("bot: directory listing time: %w", err)
		}
		return nil
	})
	return at, err
}

// namedUsers returns the people an event names, as pointers into it so
// that what the directory knows can be filled in.
func namedUsers(ev Event) []*User {
	switch e := ev.(type) {
	case *MessagePosted:
		return []*User{&e.Author}
	case *MessageEdited:
		return []*User{&e.Author}
	case *ReactionAdded:
		return []*User{&e.User, &e.Message.Author}
	case *ReactionRemoved:
		return []*User{&e.User}
	case *CommandInvoked:
		return []*User{&e.User}
	case *SaveAsTip:
		return []*User{&e.User, &e.Message.Author}
	}
	return nil
}

// fromDirectory completes the people an event names by id only (no name)
// with what the directory knows: their name, and their bot and admin
// flags. It returns, when some of them are unknown to the directory and
// the platform's chat can look people up, a function that asks it to:
// Handle calls it once the event is committed. A person whose bot flag is
// unknown is taken for a human until the lookup says otherwise. A person
// the directory does not know who runs a command in a channel shared with
// another organisation is taken for one of theirs (Foreign) until the
// lookup says otherwise: an answer there never shows the workspace's tips
// to a stranger.
func (b *Bot) fromDirectory(ctx context.Context, ev Event) (resolve func()) {
	if !namesByID(ev) {
		return nil
	}
	ws := ev.meta().Workspace
	var unknown []string
	err := b.view(ctx, ws, func(tx ReadTx) error {
		var err error
		unknown, err = fillFromDirectory(tx, ev, unknown[:0])
		return err
	})
	if err != nil {
		// The event goes on with what it carries; the commit will tell
		// whether the store is usable.
		b.log.Warn("reading the directory of people failed", "workspace", ws.Key(), "err", err)
		return nil
	}
	return b.resolver(ws, unknown)
}

// namesByID reports whether ev names someone by id only, whom the
// directory may complete.
func namesByID(ev Event) bool {
	for _, u := range namedUsers(ev) {
		if u.ID != "" && u.Name == "" {
			return true
		}
	}
	return false
}

// fillFromDirectory is fromDirectory's reading of the directory, in a
// transaction of the caller's: it completes the people ev names by id only
// and appends to unknown those the directory does not know (bots aside).
func fillFromDirectory(tx ReadTx, ev Event, unknown []string) ([]string, error) {
	for _, u := range namedUsers(ev) {
		if u.ID == "" || u.Name != "" {
			continue
		}
		m, err := tx.Member(u.ID)
		if errors.Is(err, ErrNotFound) {
			if !u.Bot && !slices.Contains(unknown, u.ID) {
				unknown = append(unknown, u.ID)
			}
			if err := strangerIn(tx, ev, u); err != nil {
				return unknown, err
			}
			continue
		}
		if err != nil {
			return unknown, err
		}
		u.Name = m.Name
		u.Bot = u.Bot || m.Bot
		u.Admin = u.Admin || m.Admin
		u.Foreign = u.Foreign || m.Foreign
	}
	return unknown, nil
}

// resolver returns a function that asks the platform's chat to look up
// the people of ws the directory does not know, or nil when there are none
// or the chat cannot.
func (b *Bot) resolver(ws Workspace, unknown []string) func() {
	if len(unknown) == 0 {
		return nil
	}
	r, ok := b.chat(ws.Platform).(PeopleResolver)
	if !ok {
		return nil
	}
	return func() { r.Resolve(ws, unknown) }
}

// strangerIn marks u, unknown to the directory, as Foreign when ev is a
// command run in a channel the directory knows as shared with another
// organisation.
func strangerIn(tx ReadTx, ev Event, u *User) error {
	e, ok := ev.(*CommandInvoked)
	if !ok || u != &e.User || u.Foreign {
		return nil
	}
	c, known, err := channelOf(tx, e.Channel)
	if err != nil {
		return err
	}
	u.Foreign = known && c.Kind == ChannelShared
	return nil
}

// peopleUpdated keeps what the platform says of people in the directory,
// fills a new name in the tips and records where it shows, and removes the
// votes of people who turn out to be bots.
func (b *Bot) peopleUpdated(ctx context.Context, e *PeopleUpdated) error {
	if !e.Listed && !e.Resolved {
		// Most updates change nothing kept (a status, a time zone):
		// they cost a read, not a commit.
		changed := false
		if err := b.view(ctx, e.Workspace, func(tx ReadTx) error {
			for _, m := range e.Members {
				if m.ID == "" {
					continue
				}
				old, err := tx.Member(m.ID)
				if errors.Is(err, ErrNotFound) || (err == nil && old != m) {
					changed = true
					return nil
				}
				if err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		if !changed {
			return nil
		}
	}
	var bots []string
	err := b.store.Update(ctx, e.Workspace, func(tx Tx) error {
		bots = bots[:0]
		for _, m := range e.Members {
			if m.ID == "" {
				continue
			}
			old, err := tx.Member(m.ID)
			known := err == nil
			if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
			// A person looked up after an event may have voted while
			// the directory did not know them; a known human who
			// becomes a bot may have voted before.
			if m.Bot && (e.Resolved || (known && !old.Bot)) {
				bots = append(bots, m.ID)
			}
			if !known || old != m {
				if err := tx.PutMember(m); err != nil {
					return err
				}
			}
			// A lookup answers for a person met unknown: what their
			// event wrote shows their id, even when the directory
			// learned their name meanwhile.
			if m.Name != "" && (!known || old.Name != m.Name || e.Resolved) {
				if err := rename(tx, m.ID, m.Name); err != nil {
					return err
				}
			}
		}
		if e.Listed {
			return tx.PutRecord(recDirectory, dirListed, []byte(b.now().UTC().Format(time.RFC3339Nano)))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range bots {
		if err := b.removeVotesOf(ctx, e.Workspace, id); err != nil {
			return err
		}
		if err := b.removeAppliedOf(ctx, e.Workspace, id); err != nil {
			return err
		}
	}
	return nil
}

// rename writes a person's new name where it shows: the tips they authored
// and what is kept about them as a contributor.
func rename(tx Tx, id, name string) error {
	var stale []Tip
	if err := tx.TipsByAuthor(id, func(t Tip) error {
		if t.AuthorName != name {
			stale = append(stale, t)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, t := range stale {
		t.AuthorName = name
		if err := tx.PutTip(t); err != nil {
			return err
		}
	}
	p, err := tx.Person(id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if p.Name == name {
		return nil
	}
	p.Name = name
	return tx.PutPerson(p)
}

// removeVotesOf removes every vote and pending vote a bot gave: found in a
// read transaction (it reads every vote), removed in one write.
func (b *Bot) removeVotesOf(ctx context.Context, ws Workspace, voter string) error {
	var refs VoteRefs
	if err := b.view(ctx, ws, func(tx ReadTx) error {
		var err error
		refs, err = tx.VotesBy(voter)
		return err
	}); err != nil {
		return err
	}
	if refs.Empty() {
		return nil
	}
	var removed int
	err := b.store.Update(ctx, ws, func(tx Tx) error {
		removed = 0
		for _, id := range refs.Tips {
			if _, err := tx.Vote(id, voter); errors.Is(err, ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if err := tx.DeleteVote(id, voter); err != nil {
				return err
			}
			t, err := tx.Tip(id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			before := t
			t.UsefulVotes = max(t.UsefulVotes-1, 0)
			if err := countVotes(tx, before, t); err != nil {
				return err
			}
			if err := tx.PutTip(t); err != nil {
				return err
			}
			removed++
		}
		for _, ref := range refs.Pending {
			pending, err := tx.PendingVotes(ref.Channel, ref.MessageID)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(pending, func(p PendingVote) bool { return p.Voter == voter }) {
				if err := tx.PutPendingVote(ref.Channel, ref.MessageID, PendingVote{Voter: voter}); err != nil {
					return err
				}
				removed++
			}
		}
		return nil
	})
	if err == nil && removed > 0 {
		b.log.Info("removed the votes of a bot", "workspace", ws.Key(), "bot", voter, "votes", removed)
	}
	return err
}
