package bot

import "time"

// Config is what the core needs to know of the configuration. The command
// line loads it from YAML; DefaultConfig gives every default of SPEC.
type Config struct {
	Locale   string         // "en" or "fr"
	Location *time.Location // for periods, sessions and schedules

	// MaxPerMinute caps the tips one person may capture in a minute
	// (capture.max_per_minute); 0 = no cap.
	MaxPerMinute int

	Prefixes []string // capture prefixes, matched case-insensitively at the start of a message
	Hashtags []string // capture hashtags, matched case-insensitively anywhere

	// Per-platform emoji, as each platform names them. A platform absent
	// from a map has its adapter's defaults (PlatformSpec).
	CaptureReaction map[Platform]string
	AckReaction     map[Platform]string
	UsefulReactions map[Platform][]string
	// AppliedReactions mark a tip applied (applied_reactions); none of
	// them may be a useful reaction.
	AppliedReactions map[Platform][]string

	Threshold      int                 // useful votes that put a tip in the hall of fame
	HallOfFame     map[Platform]string // hall of fame channel per platform; "" = none
	DigestSchedule string              // cron expression of the periodic digest; "" = none
	DigestChannel  map[Platform]string

	SessionDuration time.Duration // default deadline of a session prompt
	Reminder        time.Duration // reminder before the deadline; 0 = none
	CatchUp         time.Duration // how late a missed schedule run may still fire
	// FollowUp are the delays after a session's close at which its
	// answerers get a follow-up (sessions.follow_up); none = off.
	FollowUp []time.Duration

	// Nudges (nudges.*): with NudgesEnabled, a person who gave at least
	// NudgeAfterVotes useful votes in the last 30 days and never shared a
	// tip gets one private invitation to share, at most once per
	// NudgeEvery.
	NudgesEnabled   bool
	NudgeAfterVotes int
	NudgeEvery      time.Duration

	RequireApproval bool

	// RecoveryWindow is how far back tipbot reads its channels at start to
	// catch up on what was said while it was away (recovery.window); 0 = off.
	RecoveryWindow time.Duration

	Admins   []string // user ids that are admins on every platform
	Trainers []string // user ids that are trainers on every platform
}

// DefaultConfig returns SPEC's defaults.
func DefaultConfig() Config {
	return Config{
		Locale:           "en",
		Location:         time.UTC,
		MaxPerMinute:     10,
		Prefixes:         []string{"tip:", "astuce:"},
		Hashtags:         []string{"#tip", "#astuce"},
		CaptureReaction:  map[Platform]string{},
		AckReaction:      map[Platform]string{},
		UsefulReactions:  map[Platform][]string{},
		AppliedReactions: map[Platform][]string{},
		Threshold:        5,
		HallOfFame:       map[Platform]string{},
		DigestChannel:    map[Platform]string{},
		SessionDuration:  24 * time.Hour,
		CatchUp:          time.Hour,
		FollowUp:         []time.Duration{7 * 24 * time.Hour, 30 * 24 * time.Hour},
		RecoveryWindow:   48 * time.Hour,
		NudgeAfterVotes:  3,
		NudgeEvery:       30 * 24 * time.Hour,
	}
}
