package slack

import (
	"context"
	"errors"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

// The directory of people lives in the core's store. The adapter fills it
// with users.list when it was never listed or was listed more than a day
// ago, keeps it fresh from user_change and team_join events, and looks up,
// after their event is committed, the people the core met without knowing
// them (Resolve). No event waits on these calls.

// Slack's tiers: users.info is Tier 4 (100+ a minute), users.list Tier 2
// (20+ a minute). tipbot stays under both, with short bursts.
const (
	lookupInterval = 600 * time.Millisecond
	lookupBurst    = 20
	listInterval   = 3 * time.Second
	listBurst      = 2
	listPage       = 200 // users.list page size Slack recommends
)

// directoryRefresh is how old the last complete listing may get before
// the members are listed again.
const directoryRefresh = 24 * time.Hour

// lookupBatch bounds how many looked-up people one PeopleUpdated carries;
// lookupFlush is the longest what was learned waits to be sent.
const (
	lookupBatch = 100
	lookupFlush = 2 * time.Second
)

// recentTTL is how long a looked-up person is remembered, so that people
// the core asks about again (their next event raced the directory update)
// are answered without another call.
const recentTTL = 10 * time.Minute

// directory is what the adapter needs of its Handler to keep the
// directory: *bot.Bot has it. Without it the adapter lists nobody.
type directory interface {
	DirectoryListedAt(ctx context.Context, ws bot.Workspace) (time.Time, error)
}

// people queues the lookups the core asked for and remembers the people
// recently looked up.
type people struct {
	lookupQueue
	recent *ageLRU[lookedUp]
}

// lookedUp is the answer to one lookup; found is false when Slack does not
// know the person (then nothing is sent to the core).
type lookedUp struct {
	m     bot.Member // Foreign unset: see org
	org   userOrg
	found bool
}

// member is the person as the directory of the workspace home keeps them.
func (r lookedUp) member(home string) bot.Member {
	m := r.m
	m.Foreign = r.org.foreignTo(home)
	return m
}

func newPeople() people {
	return people{lookupQueue: newLookupQueue(), recent: newAgeLRU[lookedUp](10_000, recentTTL)}
}

// Resolve queues people the directory does not know for a lookup, after
// the event that named them was committed. It implements
// bot.PeopleResolver and never blocks.
func (a *Adapter) Resolve(ws bot.Workspace, ids []string) { a.people.add(ws, ids) }

// resolveLoop answers the queued lookups until ctx ends: from the people
// recently looked up, else with users.info at the method's pace, and sends
// what it learned to the core, a batch at a time.
func (a *Adapter) resolveLoop(ctx context.Context) {
	for {
		batch := a.people.take(lookupBatch)
		if len(batch) == 0 {
			if !a.people.wait(ctx) {
				return
			}
			continue
		}
		// What was learned goes to the core at least every lookupFlush,
		// so that names show while a long queue is worked through.
		found := map[bot.Workspace][]bot.Member{}
		var since time.Time
		flush := func() {
			for ws, ms := range found {
				a.sendPeople(ctx, &bot.PeopleUpdated{EventMeta: bot.EventMeta{Workspace: ws}, Members: ms, Resolved: true})
			}
			clear(found)
		}
		for _, l := range batch {
			r, ok := a.people.recent.Get(l.id)
			if !ok {
				if err := a.pace(ctx, &a.lookupPace); err != nil {
					return
				}
				var err error
				if r, err = a.lookUp(withTeam(ctx, l.ws.ID), l.id); err != nil {
					if ctx.Err() != nil {
						return
					}
					if errors.Is(err, bot.ErrRefused) || refused(err) {
						a.log.Warn("slack: users.info refused; the person keeps their id for a name", "user", l.id, "err", err)
						a.people.recent.Add(l.id, r)
						continue
					}
					// A network error or a 5xx: asked again later, at
					// the method's pace.
					a.log.Warn("slack: users.info failed; asking again later", "user", l.id, "err", err)
					a.Resolve(l.ws, []string{l.id})
					continue
				}
				a.people.recent.Add(l.id, r)
			}
			if r.found {
				if len(found) == 0 {
					since = time.Now()
				}
				found[l.ws] = append(found[l.ws], r.member(l.ws.ID))
			}
			if len(found) > 0 && time.Since(since) >= lookupFlush {
				flush()
			}
		}
		flush()
	}
}

// lookUp asks Slack about one person. A person Slack does not know comes
// back not found, without error.
func (a *Adapter) lookUp(ctx context.Context, id string) (lookedUp, error) {
	var info *slackapi.User
	err := a.call(ctx, "users.info", "", func(ctx context.Context) (err error) {
		info, err = a.apiFor(ctx).GetUserInfoContext(ctx, id)
		return err
	})
	if err != nil {
		if se, ok := errors.AsType[slackapi.SlackErrorResponse](err); ok && se.Err == "user_not_found" {
			return lookedUp{}, nil
		}
		return lookedUp{}, err
	}
	return lookedUp{m: memberOf(info, ""), org: orgOf(info), found: true}, nil
}

// sendPeople hands a directory update to the core; a failure is logged
// (the people are asked about again when they next show up).
func (a *Adapter) sendPeople(ctx context.Context, ev *bot.PeopleUpdated) bool {
	hctx, cancel := context.WithTimeout(ctx, a.eventTimeout)
	defer cancel()
	if _, err := a.h.Handle(hctx, ev); err != nil {
		if ctx.Err() == nil {
			a.log.Error("slack: the directory of people was not updated", "people", len(ev.Members), "err", err)
		}
		return false
	}
	return true
}

// pace waits for the next slot of g.
func (a *Adapter) pace(ctx context.Context, g *gcra) error {
	now := time.Now()
	at := g.earliest(now)
	g.book(at)
	return sleep(ctx, at.Sub(now))
}

// keepDirectory lists the workspace's members when the directory was never
// listed or was listed more than directoryRefresh ago, until ctx ends. at
// and err are what DirectoryListedAt said at start.
func (a *Adapter) keepDirectory(ctx context.Context, d directory, ws bot.Workspace, at time.Time, err error) {
	backoff := time.Minute
	for {
		if err == nil {
			if wait := at.Add(directoryRefresh).Sub(a.now()); wait > 0 {
				if sleep(ctx, wait) != nil {
					return
				}
				at, err = d.DirectoryListedAt(ctx, ws)
				continue
			}
			a.listings.Add(1)
			err = a.listPeople(ctx, ws)
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			a.log.Warn("slack: listing the workspace's members failed; trying again", "err", err, "in", backoff)
			if sleep(ctx, backoff) != nil {
				return
			}
			backoff = min(2*backoff, time.Hour)
		} else {
			backoff = time.Minute
		}
		at, err = d.DirectoryListedAt(ctx, ws)
	}
}

// listPeople reads users.list page by page, at the method's pace, and
// hands each page to the core; the last one says the listing is complete.
func (a *Adapter) listPeople(ctx context.Context, ws bot.Workspace) error {
	ctx = withTeam(ctx, ws.ID)
	p := a.apiFor(ctx).GetUsersPaginated(slackapi.GetUsersOptionLimit(listPage))
	n := 0
	for {
		if err := a.pace(ctx, &a.listPace); err != nil {
			return err
		}
		var next slackapi.UserPagination
		err := a.call(ctx, "users.list", "", func(ctx context.Context) (err error) {
			next, err = p.Next(ctx)
			return err
		})
		if err != nil {
			return err
		}
		p = next
		ms := make([]bot.Member, 0, len(p.Users))
		for i := range p.Users {
			ms = append(ms, memberOf(&p.Users[i], ws.ID))
		}
		last := p.Cursor == ""
		if !a.sendPeople(ctx, &bot.PeopleUpdated{EventMeta: bot.EventMeta{Workspace: ws}, Members: ms, Listed: last}) {
			return errors.New("slack: the core did not take a page of members")
		}
		n += len(ms)
		if last {
			a.log.Info("slack: listed the workspace's members", "people", n)
			return nil
		}
	}
}
