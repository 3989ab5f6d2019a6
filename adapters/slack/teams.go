package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/tipbot/tipbot/bot"
)

// Many workspaces. One adapter serves the workspace of its bot_token and
// every workspace installed through "Add to Slack" (oauth.go): each has its
// own client with its own bot token. Every call is made with the client of
// the workspace it is about, named by the context (withTeam): events,
// commands and interactions carry their team id; the core's Chat calls
// name their workspace. Events of a workspace tipbot has no token for are
// acknowledged and ignored.

// InstallStore keeps the installations made through OAuth, one record per
// workspace (*store.DB implements it). Records hold bot tokens: the store
// keeps them in its 0600 file and never logs them.
type InstallStore interface {
	PutInstallation(ctx context.Context, ws bot.Workspace, record []byte) error
	DeleteInstallation(ctx context.Context, ws bot.Workspace) (found bool, err error)
	Installations(ctx context.Context, p bot.Platform, fn func(ws bot.Workspace, record []byte) error) error
}

// installation is one workspace's "Add to Slack", as stored.
type installation struct {
	TeamID      string    `json:"team_id"`
	TeamName    string    `json:"team_name"`
	BotToken    string    `json:"bot_token"`
	BotUserID   string    `json:"bot_user_id"`
	AppID       string    `json:"app_id"`
	Scopes      []string  `json:"scopes"`
	Installer   string    `json:"installer"`
	InstalledAt time.Time `json:"installed_at"`
}

// LogValue keeps the token out of any log line the record would reach.
func (i installation) LogValue() slog.Value {
	return slog.GroupValue(slog.String("team", i.TeamID), slog.String("team_name", i.TeamName),
		slog.String("bot_user", i.BotUserID), slog.String("installer", i.Installer),
		slog.String("scopes", strings.Join(i.Scopes, ",")))
}

// installedTeam is an installed workspace as the adapter serves it.
type installedTeam struct {
	api    *slackapi.Client
	self   identity
	limits *limits // Slack's limits are per workspace
}

type teamKey struct{}

// withTeam names the workspace the calls made with ctx are about.
func withTeam(ctx context.Context, teamID string) context.Context {
	return context.WithValue(ctx, teamKey{}, teamID)
}

func teamOf(ctx context.Context) string {
	id, _ := ctx.Value(teamKey{}).(string)
	return id
}

// installed returns the installed workspace with that team id, or nil.
func (a *Adapter) installed(teamID string) *installedTeam {
	if teamID == "" {
		return nil
	}
	a.teamsMu.RLock()
	defer a.teamsMu.RUnlock()
	return a.teams[teamID]
}

// apiFor returns the client of the workspace ctx names: its installation's,
// else bot_token's.
func (a *Adapter) apiFor(ctx context.Context) *slackapi.Client {
	if t := a.installed(teamOf(ctx)); t != nil {
		return t.api
	}
	return a.api
}

// limitsFor returns the pacing of the workspace ctx names: each
// installation has its own, as Slack counts per workspace.
func (a *Adapter) limitsFor(ctx context.Context) *limits {
	if t := a.installed(teamOf(ctx)); t != nil {
		return t.limits
	}
	return a.limits
}

// selfFor returns who the bot is in the workspace ctx names (nil when not
// known yet).
func (a *Adapter) selfFor(ctx context.Context) *identity {
	if t := a.installed(teamOf(ctx)); t != nil {
		return &t.self
	}
	return a.self.Load()
}

// serves reports whether tipbot has a token for the workspace: bot_token's
// own (until it uninstalls) or an installation.
func (a *Adapter) serves(teamID string) bool {
	if a.installed(teamID) != nil {
		return true
	}
	if a.cfg.BotToken == "" || a.defaultGone.Load() {
		return false
	}
	self := a.self.Load()
	return self == nil || teamID == "" || teamID == self.TeamID
}

// scope checks that a Chat call is for a Slack workspace tipbot serves and
// returns ctx naming it. A workspace without a token refuses for good.
func (a *Adapter) scope(ctx context.Context, ws bot.Workspace) (context.Context, error) {
	if err := checkWorkspace(ws); err != nil {
		return ctx, err
	}
	if !a.serves(ws.ID) {
		return ctx, fmt.Errorf("slack: workspace %s: %w: tipbot is not installed there", ws.ID, bot.ErrRefused)
	}
	return withTeam(ctx, ws.ID), nil
}

// ignoreTeam logs, once per workspace, that its events are ignored.
func (a *Adapter) ignoreTeam(teamID string) {
	if _, seen := a.ignored.LoadOrStore(teamID, true); !seen {
		a.log.Warn("slack: events from a workspace tipbot is not installed in are acknowledged and ignored", "team", teamID)
	}
}

// newClient returns a Web API client with a bot token.
func (a *Adapter) newClient(token string) *slackapi.Client {
	return slackapi.New(token, slackapi.OptionAPIURL(a.cfg.APIURL), slackapi.OptionHTTPClient(a.httpClient))
}

// addTeam serves an installation from now on.
func (a *Adapter) addTeam(in installation) {
	t := &installedTeam{api: a.newClient(in.BotToken), self: identity{TeamID: in.TeamID, UserID: in.BotUserID, Name: a.botName()},
		limits: newLimits(defaultChannelInterval, defaultWorkspaceRate, defaultWorkspaceBurst)}
	a.teamsMu.Lock()
	a.teams[in.TeamID] = t
	a.teamsMu.Unlock()
	a.ignored.Delete(in.TeamID)
}

// botName is the bot's name as auth.test gave it for bot_token ("tipbot").
func (a *Adapter) botName() string {
	if self := a.self.Load(); self != nil && self.Name != "" {
		return self.Name
	}
	return "tipbot"
}

// loadInstallations serves the workspaces installed before this start.
func (a *Adapter) loadInstallations(ctx context.Context) error {
	if a.cfg.Installations == nil {
		return nil
	}
	n := 0
	err := a.cfg.Installations.Installations(ctx, Platform, func(ws bot.Workspace, rec []byte) error {
		var in installation
		if err := json.Unmarshal(rec, &in); err != nil || in.BotToken == "" || in.TeamID != ws.ID {
			a.log.Error("slack: unreadable installation skipped", "team", ws.ID)
			return nil
		}
		a.addTeam(in)
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("slack: read installations: %w", err)
	}
	if n > 0 {
		a.log.Info("slack: serving installed workspaces", "count", n)
	}
	return nil
}

// lifecycle is what tipbot reads of app_uninstalled and tokens_revoked.
type lifecycle struct {
	Type           string `json:"type"`
	TeamID         string `json:"team_id"`
	Authorizations []struct {
		TeamID string `json:"team_id"`
	} `json:"authorizations"`
	Event struct {
		Type   string `json:"type"`
		Tokens struct {
			Bot []string `json:"bot"`
		} `json:"tokens"`
	} `json:"event"`
}

// uninstallEvent handles app_uninstalled and tokens_revoked (of a bot
// token) in the background, then calls done: it reports whether raw was
// one of them.
func (a *Adapter) uninstallEvent(raw []byte, done func(ok bool)) bool {
	if !bytes.Contains(raw, []byte(`"app_uninstalled"`)) && !bytes.Contains(raw, []byte(`"tokens_revoked"`)) {
		return false // the common case, without decoding the event twice
	}
	var ev lifecycle
	if json.Unmarshal(raw, &ev) != nil || ev.Type != "event_callback" {
		return false
	}
	switch {
	case ev.Event.Type == "app_uninstalled":
	case ev.Event.Type == "tokens_revoked" && len(ev.Event.Tokens.Bot) > 0:
	default:
		return false
	}
	teamID := ev.TeamID
	if len(ev.Authorizations) > 0 && ev.Authorizations[0].TeamID != "" {
		teamID = ev.Authorizations[0].TeamID
	}
	if teamID == "" {
		done(true)
		return true
	}
	a.tasks.Go(func() {
		a.uninstall(teamID, ev.Event.Type)
		done(true)
	})
	return true
}

// Pauser is what a Handler may also do (*bot.Bot does): pause a workspace
// tipbot was removed from (its schedules stop, what the outbox owed it is
// dropped), and resume it when it installs tipbot again.
type Pauser interface {
	PauseWorkspace(ctx context.Context, ws bot.Workspace, paused bool) error
}

// pause pauses or resumes a workspace in the core, when it can.
func (a *Adapter) pause(ctx context.Context, ws bot.Workspace, paused bool) {
	if p, ok := a.h.(Pauser); ok {
		if err := p.PauseWorkspace(ctx, ws, paused); err != nil {
			a.log.Error("slack: cannot pause or resume a workspace", "team", ws.ID, "paused", paused, "err", err)
		}
	}
}

// uninstall stops serving a workspace: its installation is removed (or,
// for bot_token's own, the token is no longer used) and the core pauses
// it (Pauser): what the outbox still owed it is dropped.
func (a *Adapter) uninstall(teamID, why string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws := bot.Workspace{Platform: Platform, ID: teamID}
	a.teamsMu.Lock()
	_, wasInstalled := a.teams[teamID]
	delete(a.teams, teamID)
	a.teamsMu.Unlock()
	if a.cfg.Installations != nil {
		found, err := a.cfg.Installations.DeleteInstallation(ctx, ws)
		if err != nil {
			a.log.Error("slack: cannot remove an installation", "team", teamID, "err", err)
		}
		wasInstalled = wasInstalled || found
	}
	if self := a.self.Load(); !wasInstalled && self != nil && self.TeamID == teamID {
		a.defaultGone.Store(true)
	}
	a.log.Info("slack: tipbot was removed from a workspace; its tips stay until erased", "team", teamID, "event", why)
	a.pause(ctx, ws, true)
}
