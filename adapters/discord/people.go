package discord

import (
	"context"
	"sync"

	"github.com/tipbot/tipbot/bot"
)

// Discord payloads carry member objects (names, bot flag, roles): the
// adapter hands the people in them to the core's directory of people when
// it sees someone new or changed, after the event that carried them. Names
// read from a bare user (no member object: a nickname may be missing) are
// not kept. The gateway's member events need the privileged Server Members
// intent, which tipbot does not ask for.

// maxSeenMembers bounds the people remembered as already in the directory.
const maxSeenMembers = 10_000

// sightings collects the members translations saw, until noteMembers.
type sightings struct {
	mu  sync.Mutex
	new map[string][]bot.Member // guild id → members
}

func (s *sightings) add(guildID string, m bot.Member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.new == nil {
		s.new = map[string][]bot.Member{}
	}
	s.new[guildID] = append(s.new[guildID], m)
}

func (s *sightings) take() map[string][]bot.Member {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.new
	s.new = nil
	return out
}

// noteMembers sends the core the members seen since the last call that it
// has not been sent as they are now. A failure is logged; they are sent
// again when next seen.
func (a *Adapter) noteMembers(ctx context.Context) {
	for guild, ms := range a.sightings.take() {
		var changed []bot.Member
		for _, m := range ms {
			if old, ok := a.seen.Get(guild + "/" + m.ID); !ok || old != m {
				changed = append(changed, m)
			}
		}
		if len(changed) == 0 {
			continue
		}
		if _, err := a.handle(ctx, &bot.PeopleUpdated{EventMeta: bot.EventMeta{Workspace: workspace(guild)}, Members: changed}); err != nil {
			a.log.Warn("discord: the directory of people was not updated", "people", len(changed), "err", err)
			continue
		}
		for _, m := range changed {
			a.seen.Add(guild+"/"+m.ID, m)
		}
	}
}
