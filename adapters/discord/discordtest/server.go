// Package discordtest is a fake Discord for tests: the REST routes tipbot
// uses and the gateway websocket, both on one 127.0.0.1 port, speaking
// Discord's JSON protocol so the real discordgo client can be pointed at it
// (tipbot's discord.api_url = Server.URL).
//
// The gateway sends Hello, answers Identify with READY and one GUILD_CREATE
// per guild, acknowledges heartbeats, keeps every dispatch of a session so
// a Resume replays what the client missed (and, with Options.ReplayOverlap,
// some it had already seen, as an at-least-once Discord would), and can send
// op 7 Reconnect, op 9 Invalid Session or close codes such as 4014. REST
// enforces the global limit (50 requests per second) and the per-channel
// message bucket (5 per 5 s) with Discord's headers and 429 bodies, and can
// be told to answer 429 with a retry_after. Test helpers post messages as
// users, react, start threads and run application commands, then read back
// what the bot posted, reacted and answered.
package discordtest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Default identities of the fake.
const (
	AppID   = "1100000000000000001" // application id = bot user id
	BotName = "tipbot"
)

// Token is a bot token the fake accepts by default; its first part encodes
// AppID, like a real token.
var Token = base64.RawStdEncoding.EncodeToString([]byte(AppID)) + ".GfakeT.fake-token-for-tests"

// Permission bits the fake uses.
const (
	PermAdministrator = 1 << 3
	PermManageGuild   = 1 << 5
	PermViewChannel   = 1 << 10
	intentContent     = 1 << 15
	// EveryonePermissions are what @everyone may do in a new server:
	// view channels, send messages, add reactions, read the history, use
	// application commands.
	EveryonePermissions = PermViewChannel | 1<<11 | 1<<6 | 1<<16 | 1<<31
)

// Options configure a fake.
type Options struct {
	Token             string        // accepted bot token; default Token
	HeartbeatInterval time.Duration // sent in Hello; default 41.25 s
	// RefuseMessageContent closes an Identify asking for the privileged
	// message content intent with 4014, as Discord does when the
	// application has not enabled it.
	RefuseMessageContent bool
	// ReplayOverlap makes a Resume replay that many dispatches before the
	// client's sequence number too (duplicates the client already had).
	ReplayOverlap int
	// GlobalLimit is the requests per second allowed across routes
	// (interaction routes excepted); default 50.
	GlobalLimit int
	// SessionsExhaustedFor makes /gateway/bot report no identify left
	// (session_start_limit.remaining 0) until that long after New.
	SessionsExhaustedFor time.Duration
	Guilds               []Guild
}

// Guild is a server of the fake.
type Guild struct {
	ID, Name, OwnerID string
	Roles             []Role // the @everyone role (id = guild id, EveryonePermissions) is added when missing
	Channels          []Channel
	Members           []Member
}

// Role is a guild role.
type Role struct {
	ID, Name    string
	Permissions int64
}

// Channel is a text channel (Type 0), a forum (Type 15) or a thread (Type
// 11, with ParentID; a forum's posts are threads too).
type Channel struct {
	ID, Name, ParentID string
	Type               int
	// Hidden denies VIEW_CHANNEL to @everyone in the channel's
	// permission overwrites: only some roles or members see it.
	Hidden bool
	// Shown allows VIEW_CHANNEL to @everyone in the channel's permission
	// overwrites: everyone sees it even when @everyone's role may not
	// view channels.
	Shown bool
}

// Member is a person (or bot) in a guild.
type Member struct {
	ID, Name, Nick string
	Roles          []string
	Bot            bool
}

// File is an attachment the bot sent.
type File struct {
	Name string
	Data []byte
}

// Embed is an embed the bot sent.
type Embed struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

// Message is a message of the fake, by a member or by the bot.
type Message struct {
	ID, ChannelID, GuildID, AuthorID string
	Content                          string
	Embeds                           []Embed
	Files                            []File
	Reference                        string   // replied-to message id
	Buttons                          []Button // the buttons of its action rows, in order
	Deleted                          bool
	Edited                           time.Time
	Created                          time.Time
	// Held maps an emoji to the members who hold it (normal reactions,
	// not the bot's), as GET .../reactions/{emoji} lists them.
	Held map[string][]string
}

// Button is a button of a message's components (type 2).
type Button struct {
	Type     int    `json:"type"`
	Style    int    `json:"style"`
	Label    string `json:"label"`
	CustomID string `json:"custom_id"`
}

// Response is what the bot sent about an interaction: Kind "callback"
// (Type 4 answer, Type 5 deferral), "edit" (of the deferred answer) or
// "followup".
type Response struct {
	Kind    string
	Choices []Choice // an autocomplete's answer (callback type 8)
	Type    int
	Flags   int
	Content string
	Embeds  []Embed
	Files   []File
	At      time.Time
}

// Ephemeral reports whether the response is private (flag 64); an edit
// keeps the deferral's flags.
func (r Response) Ephemeral() bool { return r.Flags&64 != 0 }

// Text returns the content and the embeds' titles and descriptions.
func (r Response) Text() string { return text(r.Content, r.Embeds) }

// Text returns the content and the embeds' titles and descriptions.
func (m Message) Text() string { return text(m.Content, m.Embeds) }

func text(content string, embeds []Embed) string {
	parts := []string{content}
	for _, e := range embeds {
		parts = append(parts, e.Title, e.Description)
	}
	return strings.Join(parts, "\n")
}

// Request is one REST request the fake received.
type Request struct {
	Method, Path string
	Body         []byte
	Status       int
	At           time.Time
}

// Identify is one op 2 the gateway received.
type Identify struct {
	Token   string
	Intents int
	Path    string    // the URL path the connection was opened on
	At      time.Time // when it arrived
}

// Resume is one op 6 the gateway accepted.
type Resume struct {
	Path string // the URL path the connection was opened on
	At   time.Time
}

// Reaction is one reaction the bot added.
type Reaction struct {
	ChannelID, MessageID, Emoji string
}

type frame struct {
	seq  int64
	t    string
	data json.RawMessage
}

// Server is a running fake Discord.
type Server struct {
	// URL is the base URL to give tipbot as discord.api_url.
	URL string

	tb   testing.TB
	opts Options
	srv  *httptest.Server

	mu        sync.Mutex
	nextID    int64
	guilds    map[string]*Guild
	channels  map[string]*channelRec
	messages  map[string]*Message
	order     []string // message ids in creation order
	nonces    map[string]string
	dms       map[string]string // user id → DM channel id
	conn      *gwConn
	sessionID string
	seq       int64
	frames    []frame
	intents   int
	idents    []Identify
	resumes   []Resume
	beats     int
	muted     bool      // heartbeats are not acknowledged
	closes    []int     // close codes the client sent
	invalid   time.Time // when op 9 was last sent
	created   time.Time
	removed   map[string]bool // guilds the bot was removed from
	requests  []Request
	responses map[string][]Response
	// autocompletes are the ids of autocomplete interactions.
	autocompletes map[string]bool
	tokens        map[string]string // interaction token → id
	commands      map[string]json.RawMessage
	reactions     []Reaction
	injected      []injection
	limited       int // 429s the bot caused by exceeding a limit
	injectedN     int // 429s answered because a test asked
	recent        []time.Time
	buckets       map[string][]time.Time
}

type channelRec struct {
	Channel
	guildID string
	dm      string // recipient of a DM channel
}

type injection struct {
	method, path string
	n, status    int
	retryAfter   float64
	after        bool
}

// New starts a fake Discord, closed when the test ends.
func New(tb testing.TB, o Options) *Server {
	tb.Helper()
	if o.Token == "" {
		o.Token = Token
	}
	if o.HeartbeatInterval == 0 {
		o.HeartbeatInterval = 41250 * time.Millisecond
	}
	if o.GlobalLimit == 0 {
		o.GlobalLimit = 50
	}
	s := &Server{
		tb: tb, opts: o, created: time.Now(),
		nextID:        time.Now().UnixMilli(),
		guilds:        map[string]*Guild{},
		channels:      map[string]*channelRec{},
		messages:      map[string]*Message{},
		nonces:        map[string]string{},
		dms:           map[string]string{},
		responses:     map[string][]Response{},
		autocompletes: map[string]bool{},
		tokens:        map[string]string{},
		commands:      map[string]json.RawMessage{},
		buckets:       map[string][]time.Time{},
	}
	for i := range o.Guilds {
		g := o.Guilds[i]
		if !hasRole(g.Roles, g.ID) {
			g.Roles = append([]Role{{ID: g.ID, Name: "@everyone", Permissions: EveryonePermissions}}, g.Roles...)
		}
		if !hasMember(g.Members, AppID) {
			g.Members = append(g.Members, Member{ID: AppID, Name: BotName, Bot: true})
		}
		s.guilds[g.ID] = &g
		for _, c := range g.Channels {
			s.channels[c.ID] = &channelRec{Channel: c, guildID: g.ID}
		}
	}
	mux := http.NewServeMux()
	s.routes(mux)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	tb.Cleanup(s.Close)
	return s
}

func hasRole(rs []Role, id string) bool {
	for _, r := range rs {
		if r.ID == id {
			return true
		}
	}
	return false
}

func hasMember(ms []Member, id string) bool {
	for _, m := range ms {
		if m.ID == id {
			return true
		}
	}
	return false
}

// Close stops the fake.
func (s *Server) Close() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		c.close()
	}
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// newID returns a snowflake made of the current time and a counter.
func (s *Server) newID() string {
	ms := time.Now().UnixMilli() - 1420070400000
	s.nextID++
	return strconv.FormatInt(ms<<22|(s.nextID&0x3FFFFF), 10)
}

// NewID returns a fresh snowflake.
func (s *Server) NewID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newID()
}

// Wait polls cond every 5 ms until it holds, failing the test after 10 s.
func (s *Server) Wait(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute) // a failure guard: a loaded machine may be slow
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("discordtest: timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Requests returns the REST requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RateLimited returns how many 429s the bot caused by going over a limit
// (not counting the ones Inject429 asked for).
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited
}

// Injected returns how many injected failures were answered.
func (s *Server) Injected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.injectedN
}

// Inject429 makes the next n requests whose path contains path (and method
// matches, "" for any) answer 429 with retry_after seconds.
func (s *Server) Inject429(method, path string, n int, retryAfter float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.injected = append(s.injected, injection{method: method, path: path, n: n, status: 429, retryAfter: retryAfter})
}

// InjectError makes the next n matching requests answer status (a 5xx,
// say). With after, the request is carried out first and only its answer
// is lost, as when a connection drops on the way back.
func (s *Server) InjectError(method, path string, n, status int, after bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.injected = append(s.injected, injection{method: method, path: path, n: n, status: status, after: after})
}

// ClearInjections forgets the failures asked for and not yet used.
func (s *Server) ClearInjections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.injected = nil
}

// Identifies returns the Identify payloads received.
func (s *Server) Identifies() []Identify {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Identify(nil), s.idents...)
}

// Resumes returns how many Resumes the gateway accepted.
func (s *Server) Resumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.resumes)
}

// ResumeLog returns the Resumes the gateway accepted.
func (s *Server) ResumeLog() []Resume {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Resume(nil), s.resumes...)
}

// MuteHeartbeats stops (or restarts) acknowledging heartbeats, as a
// connection gone "zombie" does.
func (s *Server) MuteHeartbeats(mute bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.muted = mute
}

// CloseCodes returns the close codes the client closed the gateway with.
// Like Discord, the fake ends the session on 1000 and 1001: it cannot be
// resumed after them.
func (s *Server) CloseCodes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.closes...)
}

// InvalidatedAt returns when op 9 was last sent (zero if never).
func (s *Server) InvalidatedAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.invalid
}

// Heartbeats returns how many heartbeats the gateway received.
func (s *Server) Heartbeats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.beats
}
