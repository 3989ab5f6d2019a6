package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound is returned by Store reads when the asked record does not exist.
var ErrNotFound = errors.New("not found")

// Platform names the chat platform a workspace lives on.
type Platform string

// Shell is the platform of a workspace key with no platform ("local"): the
// terminal adapter's. Other platforms are named by their adapters
// (RegisterPlatform).
const Shell Platform = "shell"

// Workspace is one isolated tenant: a team, a server (guild), or the
// shell's "local". Data of one workspace is never shown in another.
type Workspace struct {
	Platform Platform
	ID       string
}

// Key returns the workspace's storage key, "platform:id".
func (w Workspace) Key() string { return string(w.Platform) + ":" + w.ID }

// String returns the same as Key.
func (w Workspace) String() string { return w.Key() }

// ParseWorkspace parses a key written by Key. A bare id with no platform is
// taken as a shell workspace ("local" → shell:local).
func ParseWorkspace(key string) (Workspace, error) {
	p, id, ok := strings.Cut(key, ":")
	if !ok {
		if key == "" {
			return Workspace{}, fmt.Errorf("empty workspace")
		}
		return Workspace{Platform: Shell, ID: key}, nil
	}
	if !ValidPlatform(Platform(p)) {
		return Workspace{}, fmt.Errorf("workspace %q: unknown platform %q", key, p)
	}
	if id == "" {
		return Workspace{}, fmt.Errorf("workspace %q: empty id", key)
	}
	return Workspace{Platform: Platform(p), ID: id}, nil
}

// User is a person (or bot) as an adapter sees them at the time of an event.
type User struct {
	ID    string
	Name  string // display name; may be empty when the platform did not say
	Bot   bool   // bots are never captured and never vote
	Admin bool   // platform admin (Slack admin/owner, Discord Manage Server)
	// Foreign is set for a person of another organisation than the
	// workspace's (Slack Connect): they see only the tips of the channel
	// they ask in.
	Foreign bool
}

// TipID is a tip's short id within its workspace (shown as "t42").
type TipID uint64

// String returns the short form users type, e.g. "t42".
func (id TipID) String() string { return "t" + strconv.FormatUint(uint64(id), 10) }

// ParseTipID accepts "t42", "T42", "#t42" or "42".
func ParseTipID(s string) (TipID, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "t"), "T")
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("not a tip id: %q", s)
	}
	return TipID(n), nil
}

// SessionID is a training session's short id within its workspace ("s3").
type SessionID uint64

// String returns the short form users type, e.g. "s3"; the zero id is "".
func (id SessionID) String() string {
	if id == 0 {
		return ""
	}
	return "s" + strconv.FormatUint(uint64(id), 10)
}

// ParseSessionID accepts "s3", "S3" or "3".
func ParseSessionID(s string) (SessionID, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "s"), "S")
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("not a session id: %q", s)
	}
	return SessionID(n), nil
}

// Source says how a tip was captured.
type Source string

// The capture sources, as written in exports.
const (
	SourceCommand  Source = "command"
	SourcePrefix   Source = "prefix" // prefixes and hashtags
	SourceReaction Source = "reaction"
	SourceShortcut Source = "shortcut"
	SourceSession  Source = "session"
)

// Sources lists every Source in the order reports show them.
var Sources = []Source{SourceCommand, SourcePrefix, SourceReaction, SourceShortcut, SourceSession}

// Status is a tip's moderation state.
type Status string

// The tip statuses, as written in exports.
const (
	StatusPublished Status = "published"
	StatusPending   Status = "pending"
	StatusFeatured  Status = "featured"
	StatusRejected  Status = "rejected"
)

// Tip is a captured piece of knowledge.
type Tip struct {
	ID         TipID
	Channel    string // platform channel id (shell: "#name")
	MessageID  string // platform message id (Slack ts, Discord snowflake, shell id); "" until a /tip post exists
	ThreadID   string // parent message id when the tip is a thread reply
	AuthorID   string
	AuthorName string
	Text       string
	Topics     []string // lower-case hashtags without '#', in order of appearance
	Source     Source
	SessionID  SessionID
	Status     Status
	// UsefulVotes is the number of distinct people (not the author, not bots)
	// with at least one useful reaction on the tip.
	UsefulVotes int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CapturedBy  string // who captured it (reaction, shortcut); "" when the author did
	// Periods are the leaderboard periods the tip counts in, computed from
	// CreatedAt in the configured time zone when the tip was captured (see
	// PeriodKeys). They are stored with the tip so removing the tip from its
	// leaderboards stays exact even if the time zone changes later.
	Periods []string
	// HallOfFame is true once the tip has been posted in the hall of fame.
	HallOfFame bool
	// Visibility restricts the tip to its channel when the channel is not
	// readable by the whole workspace, or not known yet (see Restricted).
	Visibility Visibility
	// Applied is the number of distinct people (authors included, not
	// bots) who marked the tip "I put this into practice" (see
	// AppliedMark); it is counted apart from UsefulVotes.
	Applied int
}

// Ranked reports whether the tip counts in leaderboards, search and report
// rankings: published and featured tips do, pending and rejected ones do not.
func (t Tip) Ranked() bool { return t.Status == StatusPublished || t.Status == StatusFeatured }

// Vote is one person's useful reactions on one tip. The person counts once,
// whatever the number of emojis.
type Vote struct {
	Emojis []string // base emoji names, sorted, no duplicates
}

// VoteRefs locates one person's votes: the tips they find useful and the
// messages, not tips, they reacted to usefully (pending votes).
type VoteRefs struct {
	Tips    []TipID
	Pending []MessageRef
}

// Empty reports whether there is no vote to locate.
func (r VoteRefs) Empty() bool { return len(r.Tips) == 0 && len(r.Pending) == 0 }

// PendingVote holds useful reactions on a message that is not (yet) a tip, so
// they count if the message is captured later.
type PendingVote struct {
	Voter  string
	Emojis []string
}

// Standing is one entry of a leaderboard: a member (author id, tip id as
// decimal, or topic) with the useful votes and tips it gathered.
type Standing struct {
	Member string
	Votes  int64
	Tips   int64
}

// Person is what tipbot keeps about a contributor.
type Person struct {
	ID         string
	Name       string
	FirstTipAt time.Time // when their first tip was captured (for "new contributors")
}
