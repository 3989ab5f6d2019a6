// Package slacktest is a fake Slack for tests, on 127.0.0.1: the Web API
// methods tipbot calls and Socket Mode on one port, or the same events
// posted to an HTTP endpoint with Slack's request signatures. It keeps
// channels, messages, reactions, direct messages, ephemeral messages and
// files as Slack would, emits the events people's actions cause (and the
// bot's own, as Slack does), redelivers unacknowledged events with the same
// event_id, and enforces chat.postMessage's rate limits with 429 and
// Retry-After, and can fail every Web API call for a while (SetOutage).
// Pass URL() to slack-go's OptionAPIURL (or tipbot's slack.api_url).
package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Options configure a Server. Zero values take the defaults shown.
type Options struct {
	TeamID    string // "T0TEAM001"
	TeamURL   string // "https://acme.slack.com/"
	AppID     string // "A0APP0001"
	BotToken  string // "xoxb-test"
	AppToken  string // "xapp-test"
	BotUserID string // "U0TIPBOT1"
	BotID     string // "B0TIPBOT1"
	BotName   string // "tipbot"
	// The app's OAuth credentials, checked by oauth.v2.access.
	ClientID     string // "1111.2222"
	ClientSecret string // "fake-client-secret"

	// chat.postMessage limits: one post per ChannelInterval per channel
	// (ChannelTolerance early is forgiven, Slack's "short bursts"), and
	// PostRate per second with bursts of PostBurst across the workspace.
	ChannelInterval  time.Duration // 1s
	ChannelTolerance time.Duration // 300ms
	// Jitter is how early a post may come against the workspace limit:
	// requests sent on time can arrive a little out of order.
	Jitter    time.Duration // 50ms
	PostRate  float64       // 100
	PostBurst int           // 10

	// PingInterval is how often Socket Mode connections get a websocket
	// ping (Slack: every few seconds).
	PingInterval time.Duration // 250ms
	// RedeliverAfter is how long an events_api envelope (or an HTTP
	// event) may stay unacknowledged before it is delivered again.
	RedeliverAfter time.Duration // 2s
	// MaxRetries bounds the redeliveries of one event (Slack: 3 over HTTP).
	MaxRetries int // 5
}

func (o *Options) defaults() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&o.TeamID, "T0TEAM001")
	def(&o.TeamURL, "https://acme.slack.com/")
	def(&o.AppID, "A0APP0001")
	def(&o.BotToken, "xoxb-test")
	def(&o.AppToken, "xapp-test")
	def(&o.BotUserID, "U0TIPBOT1")
	def(&o.BotID, "B0TIPBOT1")
	def(&o.BotName, "tipbot")
	def(&o.ClientID, "1111.2222")
	def(&o.ClientSecret, "fake-client-secret")
	if o.ChannelInterval == 0 {
		o.ChannelInterval = time.Second
	}
	if o.ChannelTolerance == 0 {
		o.ChannelTolerance = 300 * time.Millisecond
	}
	if o.Jitter == 0 {
		o.Jitter = 50 * time.Millisecond
	}
	if o.PostRate == 0 {
		o.PostRate = 100
	}
	if o.PostBurst == 0 {
		o.PostBurst = 10
	}
	if o.PingInterval == 0 {
		o.PingInterval = 250 * time.Millisecond
	}
	if o.RedeliverAfter == 0 {
		o.RedeliverAfter = 2 * time.Second
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 5
	}
}

// User is a workspace member.
type User struct {
	ID          string
	Name        string // handle
	DisplayName string
	RealName    string
	Admin       bool
	Owner       bool
	Bot         bool
	Locale      string // e.g. "fr-FR"
	Deleted     bool
	// Team is the person's own workspace: "" for the installation's. A
	// person of another organisation (Slack Connect) is not in users.list;
	// users.info and events name their team (team_id, user_team).
	Team string
}

// Team is another workspace, where the app is installed through OAuth
// (Authorize, then the app's oauth.v2.access). The Options' TeamID is the
// first workspace, served by Options.BotToken.
type Team struct {
	ID, Name  string
	BotToken  string // what oauth.v2.access gives for it
	BotUserID string
	BotID     string
	// Enterprise makes the install an Enterprise Grid organisation-wide
	// one (is_enterprise_install, no team).
	Enterprise bool
}

// Message is a message as the fake keeps it.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string // parent ts for replies; "" for top-level messages
	User     string
	BotID    string
	Text     string
	Blocks   json.RawMessage // as posted by the app
	// Reactions maps an emoji name to the users who put it, in order.
	Reactions map[string][]string
}

// Ephemeral is a message shown to one person (chat.postEphemeral).
type Ephemeral struct {
	Channel, User, Text string
	Blocks              json.RawMessage
}

// File is an uploaded file, as shared by files.completeUploadExternal.
type File struct {
	ID, Name, Title, Channel, ThreadTS, InitialComment string
	Data                                               []byte
}

// Call is one Web API request the app made.
type Call struct {
	Method string
	At     time.Time
	Params url.Values
	// Status is the HTTP status answered: 429 when rate limited, 500
	// during an OutageError, 0 when the connection was closed unanswered
	// (OutageHangUp).
	Status int
	Token  string // the token the app sent
	Team   string // the workspace of that token ("" when not a valid token)
}

// Outage is how the Web API fails during an outage (SetOutage).
type Outage int

// The outage modes.
const (
	OutageNone   Outage = iota // the Web API works
	OutageError                // every call is answered 500, and changes nothing
	OutageHangUp               // every call's connection is closed unanswered, and changes nothing
)

// Response is an acknowledgement payload or a response_url message.
type Response struct {
	ResponseType string          `json:"response_type"`
	Text         string          `json:"text"`
	Blocks       json.RawMessage `json:"blocks"`
	Raw          json.RawMessage `json:"-"`
}

// Interaction is a slash command or shortcut sent to the app.
type Interaction struct {
	s         *Server
	Envelope  string // Socket Mode envelope id ("" over HTTP)
	TriggerID string
	sentAt    time.Time

	acked     bool
	failed    bool // an HTTP delivery got no 200
	ackAfter  time.Duration
	ack       Response
	responses []Response
}

// envelope is one event in flight to the app.
type envelope struct {
	id       string
	typ      string // events_api, slash_commands, interactive
	eventID  string
	payload  json.RawMessage
	attempts int
	sentAt   time.Time
	acked    bool
	inter    *Interaction
}

type wsConn struct {
	c  *websocket.Conn
	mu sync.Mutex
}

func (c *wsConn) writeJSON(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.c.WriteJSON(v)
}

// Server is a fake Slack. Its methods are safe for concurrent use.
type Server struct {
	o   Options
	srv *httptest.Server

	mu           sync.Mutex
	seq          int
	lastSec      int64 // second of the newest ts
	historyPages int   // conversations.history pages served
	users        map[string]User
	channels     map[string]string // id → name
	kinds        map[string]ChannelKind
	envTeam      string              // when set, the team_id of the next envelopes (Slack Connect)
	members      map[string][]string // channel id → member ids, in join order
	msgs         map[string][]*Message
	ephemerals   []Ephemeral
	files        []File
	uploads      map[string][]byte
	calls        []Call
	rateLimited  int
	inject       map[string][]int // method → Retry-After seconds of the next answers
	refuse       map[string][]refusal
	outage       Outage
	chanLimit    map[string]time.Time
	wsTAT        time.Time
	conns        int
	conn         *wsConn
	pinging      bool
	envelopes    map[string]*envelope
	byEvent      map[string][]*envelope
	deliveries   map[string]int // event id → deliveries
	eventOrder   []string
	eventTypes   map[string]string // event id → inner event type
	interactions map[string]*Interaction
	httpTarget   string
	httpSecret   string
	errs         []string
	usersInfo    int           // users.info requests answered
	holdInfo     chan struct{} // while set, users.info requests wait for it to close

	teams    map[string]Team   // by id, the first included
	tokens   map[string]string // live bot token → team id
	chanTeam map[string]string // channel → team id, when not the first's
	codes    map[string]grant  // OAuth codes not exchanged yet
	curTeam  string            // the team of the Web API call being applied

	httpQueue chan *envelope
	closed    chan struct{}
	wg        sync.WaitGroup
}

// NewServer starts a fake Slack on 127.0.0.1. Close it when done.
func NewServer(o Options) *Server {
	o.defaults()
	s := &Server{
		o:            o,
		users:        map[string]User{},
		channels:     map[string]string{},
		kinds:        map[string]ChannelKind{},
		members:      map[string][]string{},
		msgs:         map[string][]*Message{},
		uploads:      map[string][]byte{},
		inject:       map[string][]int{},
		refuse:       map[string][]refusal{},
		chanLimit:    map[string]time.Time{},
		pinging:      true,
		envelopes:    map[string]*envelope{},
		byEvent:      map[string][]*envelope{},
		deliveries:   map[string]int{},
		eventTypes:   map[string]string{},
		interactions: map[string]*Interaction{},
		closed:       make(chan struct{}),
		httpQueue:    make(chan *envelope, 10000),
		teams:        map[string]Team{},
		tokens:       map[string]string{o.BotToken: o.TeamID},
		chanTeam:     map[string]string{},
		codes:        map[string]grant{},
	}
	s.teams[o.TeamID] = Team{ID: o.TeamID, Name: "Acme", BotToken: o.BotToken, BotUserID: o.BotUserID, BotID: o.BotID}
	s.users[o.BotUserID] = User{ID: o.BotUserID, Name: o.BotName, DisplayName: o.BotName, Bot: true}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/ws", s.serveWS)
	mux.HandleFunc("/upload/", s.serveUpload)
	mux.HandleFunc("/hooks/", s.serveHook)
	s.srv = httptest.NewServer(mux)
	s.wg.Go(s.redeliverLoop)
	s.wg.Go(s.httpSender)
	return s
}

// URL returns the Web API base URL, ending in "/api/".
func (s *Server) URL() string { return s.srv.URL + "/api/" }

// Close stops the server and its connections.
func (s *Server) Close() {
	select {
	case <-s.closed:
		return
	default:
	}
	close(s.closed)
	s.ReleaseUsersInfo()
	s.mu.Lock()
	if s.conn != nil {
		_ = s.conn.c.Close()
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
	s.wg.Wait()
}

// Errors returns what the fake found wrong in the app's requests.
func (s *Server) Errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.errs)
}

func (s *Server) fail(format string, args ...any) {
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
}

// AddUser adds a member to the workspace (silently: see Welcome).
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// Welcome adds a member to the workspace and emits team_join, as Slack
// does when someone joins; it returns the event id.
func (s *Server) Welcome(u User) string {
	s.mu.Lock()
	s.users[u.ID] = u
	ts := s.newTS()
	s.mu.Unlock()
	return s.Emit(map[string]any{"type": "team_join", "user": s.userJSON(u), "event_ts": ts})
}

// UpdateUser changes a member (their profile, flags) and emits
// user_change; it returns the event id.
func (s *Server) UpdateUser(u User) string {
	s.mu.Lock()
	s.users[u.ID] = u
	ts := s.newTS()
	s.mu.Unlock()
	return s.Emit(map[string]any{"type": "user_change", "user": s.userJSON(u), "event_ts": ts})
}

// HoldUsersInfo makes users.info requests wait, unanswered, until
// ReleaseUsersInfo: what the app does meanwhile cannot depend on them.
func (s *Server) HoldUsersInfo() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holdInfo == nil {
		s.holdInfo = make(chan struct{})
	}
}

// ReleaseUsersInfo lets held and later users.info requests through.
func (s *Server) ReleaseUsersInfo() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holdInfo != nil {
		close(s.holdInfo)
		s.holdInfo = nil
	}
}

// UsersInfoAnswered returns how many users.info requests were answered
// (Calls counts them when they arrive, held or not).
func (s *Server) UsersInfoAnswered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usersInfo
}

// userJSON is a member as users.info, users.list and events show them
// (s.mu not needed: it reads only u and the options).
func (s *Server) userJSON(u User) map[string]any { return s.userJSONIn(u, s.o.TeamID) }

// userJSONIn is userJSON as a workspace's Web API shows it: a person of
// no other team belongs to home.
func (s *Server) userJSONIn(u User, home string) map[string]any {
	return map[string]any{
		"id": u.ID, "team_id": userTeam(u, home), "name": u.Name, "real_name": u.RealName, "deleted": u.Deleted,
		"is_admin": u.Admin, "is_owner": u.Owner, "is_primary_owner": false, "is_bot": u.Bot, "locale": u.Locale,
		"profile": map[string]any{"display_name": u.DisplayName, "real_name": u.RealName}}
}

// userTeam returns a person's own workspace: their Team, else home.
func userTeam(u User, home string) string {
	if u.Team != "" {
		return u.Team
	}
	return home
}

// AddChannel adds a channel the bot is in.
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.channels[id]; !ok {
		s.members[id] = []string{s.o.BotUserID}
	}
	s.channels[id] = name
}

// ChannelKind is who can read a fake channel, as conversations.info says.
type ChannelKind struct {
	Private   bool // is_private
	ExtShared bool // is_ext_shared: shared with another organisation
}

// SetChannelKind sets who can read a channel added with AddChannel.
func (s *Server) SetChannelKind(id string, k ChannelKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kinds[id] = k
}

// SetEnvelopeTeam makes the envelopes of later events carry team as
// team_id while authorizations[0].team_id stays the installation's, as
// Slack does for events in a channel shared with another organisation;
// "" goes back to the installation's team.
func (s *Server) SetEnvelopeTeam(team string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.envTeam = team
}

// Join makes users members of a channel.
func (s *Server) Join(channel string, users ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range users {
		if !slices.Contains(s.members[channel], u) {
			s.members[channel] = append(s.members[channel], u)
		}
	}
}

// DeliverHTTP switches event delivery from Socket Mode to signed HTTP
// requests to target (the app's /slack/events URL).
func (s *Server) DeliverHTTP(target, signingSecret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.httpTarget, s.httpSecret = target, signingSecret
}

// SetOutage makes every Web API call fail as mode says from now on, until
// SetOutage(OutageNone). A failed call is recorded (see Call.Status) and
// changes nothing; events, response_url and uploads are not affected.
func (s *Server) SetOutage(mode Outage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = mode
}

// FailNext makes the next n calls of method answer 429 with Retry-After.
func (s *Server) FailNext(method string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.inject[method] = append(s.inject[method], int(math.Ceil(retryAfter.Seconds())))
	}
}

// refusal is an answer FailNextWith queued.
type refusal struct {
	status int
	err    string
}

// FailNextWith makes the next n calls of method fail without effect: with
// HTTP status 200 and {"ok":false,"error":slackErr} (not_in_channel,
// is_archived…), or with another status (500, 503…) and that body.
func (s *Server) FailNextWith(method string, n, status int, slackErr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.refuse[method] = append(s.refuse[method], refusal{status: status, err: slackErr})
	}
}

func (s *Server) nextSeq() int {
	s.seq++
	return s.seq
}

// newTS returns a new message ts: the current second, as Slack's are
// (recovery reads history from a time), and a sequence number that keeps
// every ts unique and increasing.
func (s *Server) newTS() string {
	n := s.nextSeq()
	sec := time.Now().Unix()
	if sec < s.lastSec {
		sec = s.lastSec
	}
	s.lastSec = sec
	return fmt.Sprintf("%d.%06d", sec, n%1000000)
}

// --- what people do in the workspace ---

// Say posts a message as a user and sends the app its message event. It
// returns the message's ts.
func (s *Server) Say(channel, user, text string) string {
	ts, _ := s.post(channel, user, "", text)
	return ts
}

// SayEvent is Say, also returning the id of the message event.
func (s *Server) SayEvent(channel, user, text string) (ts, eventID string) {
	return s.post(channel, user, "", text)
}

// AddMessage stores a message as if posted before the app was there: no
// event is sent. It returns the message's ts.
func (s *Server) AddMessage(channel, user, thread, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{Channel: channel, TS: s.newTS(), ThreadTS: thread, User: user, Text: text}
	s.msgs[channel] = append(s.msgs[channel], m)
	return m.TS
}

// AddReaction adds a user's reaction as if Slack had given up delivering
// its event (tipbot was away): no event is sent.
func (s *Server) AddReaction(channel, ts, user, emoji string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.find(channel, ts)
	if m == nil {
		return
	}
	if m.Reactions == nil {
		m.Reactions = map[string][]string{}
	}
	if !slices.Contains(m.Reactions[emoji], user) {
		m.Reactions[emoji] = append(m.Reactions[emoji], user)
	}
}

// Reply posts a thread reply to parent.
func (s *Server) Reply(channel, parent, user, text string) string {
	ts, _ := s.post(channel, user, parent, text)
	return ts
}

func (s *Server) post(channel, user, thread, text string) (ts, eventID string) {
	s.mu.Lock()
	m := &Message{Channel: channel, TS: s.newTS(), ThreadTS: thread, User: user, Text: text}
	s.msgs[channel] = append(s.msgs[channel], m)
	ev := map[string]any{"type": "message", "user": user, "text": text, "ts": m.TS, "channel": channel,
		"event_ts": m.TS, "channel_type": "channel", "client_msg_id": fmt.Sprintf("cm-%s", m.TS),
		"user_team": userTeam(s.users[user], s.teamOf(channel))}
	if thread != "" {
		ev["thread_ts"] = thread
	}
	s.mu.Unlock()
	return m.TS, s.Emit(ev)
}

// Edit changes a message's text and sends message_changed.
func (s *Server) Edit(channel, ts, text string) {
	s.mu.Lock()
	m := s.find(channel, ts)
	if m == nil {
		s.mu.Unlock()
		return
	}
	prev := msgJSON(*m)
	m.Text = text
	ev := map[string]any{"type": "message", "subtype": "message_changed", "hidden": true, "channel": channel,
		"message": msgJSON(*m), "previous_message": prev, "ts": s.newTS(), "channel_type": "channel"}
	ev["event_ts"] = ev["ts"]
	s.mu.Unlock()
	s.Emit(ev)
}

// Delete removes a message and sends message_deleted.
func (s *Server) Delete(channel, ts string) {
	s.mu.Lock()
	m := s.find(channel, ts)
	if m == nil {
		s.mu.Unlock()
		return
	}
	s.msgs[channel] = slices.DeleteFunc(s.msgs[channel], func(x *Message) bool { return x == m })
	ev := map[string]any{"type": "message", "subtype": "message_deleted", "hidden": true, "channel": channel,
		"deleted_ts": ts, "previous_message": msgJSON(*m), "ts": s.newTS(), "channel_type": "channel"}
	ev["event_ts"] = ev["ts"]
	s.mu.Unlock()
	s.Emit(ev)
}

// React adds a user's reaction and sends reaction_added (nothing when the
// user already has it, as Slack).
func (s *Server) React(channel, ts, user, emoji string) {
	s.react(channel, ts, user, emoji, true)
}

// ReactEvent is React, also returning the id of the reaction_added event
// ("" when none was sent: no such message, or the user already has it).
func (s *Server) ReactEvent(channel, ts, user, emoji string) string {
	return s.react(channel, ts, user, emoji, true)
}

// Unreact removes a user's reaction and sends reaction_removed.
func (s *Server) Unreact(channel, ts, user, emoji string) {
	s.react(channel, ts, user, emoji, false)
}

func (s *Server) react(channel, ts, user, emoji string, add bool) string {
	s.mu.Lock()
	m := s.find(channel, ts)
	if m == nil {
		s.mu.Unlock()
		return ""
	}
	if m.Reactions == nil {
		m.Reactions = map[string][]string{}
	}
	has := slices.Contains(m.Reactions[emoji], user)
	if has == add {
		s.mu.Unlock()
		return ""
	}
	typ := "reaction_removed"
	if add {
		typ = "reaction_added"
		m.Reactions[emoji] = append(m.Reactions[emoji], user)
	} else {
		m.Reactions[emoji] = slices.DeleteFunc(m.Reactions[emoji], func(u string) bool { return u == user })
	}
	author := m.User
	ev := map[string]any{"type": typ, "user": user, "reaction": emoji,
		"item": map[string]any{"type": "message", "channel": channel, "ts": ts}, "event_ts": s.newTS()}
	if author != "" {
		ev["item_user"] = author
	}
	s.mu.Unlock()
	return s.Emit(ev)
}

// Emit sends the app an Events API event_callback with this inner event
// and returns its event_id.
func (s *Server) Emit(inner map[string]any) string {
	s.mu.Lock()
	ch, _ := inner["channel"].(string)
	if item, ok := inner["item"].(map[string]any); ok && ch == "" {
		ch, _ = item["channel"].(string)
	}
	return s.emitLocked(s.teamOf(ch), inner)
}

// EmitTeam sends the app an event_callback of another workspace.
func (s *Server) EmitTeam(team string, inner map[string]any) string {
	s.mu.Lock()
	return s.emitLocked(team, inner)
}

// teamOf returns the workspace of a channel (s.mu held).
func (s *Server) teamOf(channel string) string {
	if t, ok := s.chanTeam[channel]; ok {
		return t
	}
	return s.o.TeamID
}

func (s *Server) emitLocked(team string, inner map[string]any) string {
	id := fmt.Sprintf("Ev%08d", s.nextSeq())
	envTeam := team
	if s.envTeam != "" {
		envTeam = s.envTeam
	}
	outer := map[string]any{
		"token": "fake-verification-token", "team_id": envTeam, "api_app_id": s.o.AppID,
		"event": inner, "type": "event_callback", "event_id": id, "event_time": time.Now().Unix(),
		"authorizations": []any{map[string]any{"team_id": team, "user_id": s.teams[team].BotUserID, "is_bot": true}},
	}
	payload, _ := json.Marshal(outer)
	env := &envelope{id: s.envelopeID(), typ: "events_api", eventID: id, payload: payload}
	s.eventOrder = append(s.eventOrder, id)
	s.eventTypes[id], _ = inner["type"].(string)
	s.envelopes[env.id] = env
	s.byEvent[id] = append(s.byEvent[id], env)
	s.mu.Unlock()
	s.deliver(env)
	return id
}

// Redeliver sends an already delivered event again, as a new envelope
// with the same event_id (Slack's retry), whether or not it was acked.
func (s *Server) Redeliver(eventID string) {
	s.mu.Lock()
	old := s.byEvent[eventID]
	if len(old) == 0 {
		s.mu.Unlock()
		return
	}
	env := &envelope{id: s.envelopeID(), typ: "events_api", eventID: eventID, payload: old[0].payload, attempts: 1}
	s.envelopes[env.id] = env
	s.byEvent[eventID] = append(s.byEvent[eventID], env)
	s.mu.Unlock()
	s.deliver(env)
}

func (s *Server) envelopeID() string {
	return fmt.Sprintf("env-%08d-0f1e2d3c", s.nextSeq())
}

// Command runs a slash command as a user (command with its slash, e.g.
// "/tips").
func (s *Server) Command(channel, user, command, text string) *Interaction {
	s.mu.Lock()
	n := s.nextSeq()
	trigger := fmt.Sprintf("%d.%d.%08x", 13345224600+n, 738474920, n)
	u := s.users[user]
	p := map[string]string{
		"token": "fake-verification-token", "team_id": s.teamOf(channel), "team_domain": "acme",
		"channel_id": channel, "channel_name": s.channels[channel], "user_id": user, "user_name": u.Name,
		"command": command, "text": text, "api_app_id": s.o.AppID, "is_enterprise_install": "false",
		"response_url": s.srv.URL + "/hooks/" + trigger, "trigger_id": trigger,
	}
	return s.interact(trigger, "slash_commands", p)
}

// Shortcut uses the "Save as tip" message shortcut (callback id
// callbackID, normally "save_tip") on a message, as a user.
func (s *Server) Shortcut(channel, ts, user, callbackID string) *Interaction {
	s.mu.Lock()
	n := s.nextSeq()
	trigger := fmt.Sprintf("%d.%d.%08x", 13345224600+n, 738474920, n)
	u := s.users[user]
	var msg map[string]any
	if m := s.find(channel, ts); m != nil {
		msg = msgJSON(*m)
	} else {
		msg = map[string]any{"type": "message", "ts": ts}
	}
	p := map[string]any{
		"type": "message_action", "token": "fake-verification-token", "action_ts": s.newTS(),
		"team":        map[string]any{"id": s.o.TeamID, "domain": "acme"},
		"user":        map[string]any{"id": user, "username": u.Name, "name": u.Name, "team_id": userTeam(u, s.o.TeamID)},
		"channel":     map[string]any{"id": channel, "name": s.channels[channel]},
		"callback_id": callbackID, "trigger_id": trigger, "message_ts": ts, "message": msg,
		"response_url": s.srv.URL + "/hooks/" + trigger,
	}
	return s.interact(trigger, "interactive", p)
}

// Click clicks a button of a message the app posted (a block_actions
// interaction, as Slack sends it for a button in a direct message too):
// the button whose action id is actionID in the message's blocks, as a
// user. It returns nil when the message has no such button.
func (s *Server) Click(channel, ts, user, actionID string) *Interaction {
	s.mu.Lock()
	m := s.find(channel, ts)
	if m == nil {
		s.mu.Unlock()
		return nil
	}
	var blocks []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
		Elements []struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
			Text     struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"elements"`
	}
	_ = json.Unmarshal(m.Blocks, &blocks)
	var action map[string]any
	for _, b := range blocks {
		for _, e := range b.Elements {
			if b.Type == "actions" && e.Type == "button" && e.ActionID == actionID && action == nil {
				action = map[string]any{"type": "button", "action_id": e.ActionID, "block_id": b.BlockID, "value": e.Value,
					"text": map[string]any{"type": "plain_text", "text": e.Text.Text}, "action_ts": s.newTS()}
			}
		}
	}
	if action == nil {
		s.mu.Unlock()
		return nil
	}
	n := s.nextSeq()
	trigger := fmt.Sprintf("%d.%d.%08x", 13345224600+n, 738474920, n)
	u := s.users[user]
	p := map[string]any{
		"type": "block_actions", "token": "fake-verification-token", "api_app_id": s.o.AppID,
		"team":      map[string]any{"id": s.o.TeamID, "domain": "acme"},
		"user":      map[string]any{"id": user, "username": u.Name, "name": u.Name, "team_id": s.o.TeamID},
		"channel":   map[string]any{"id": channel, "name": "directmessage"},
		"container": map[string]any{"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": false},
		"message":   msgJSON(*m), "trigger_id": trigger, "response_url": s.srv.URL + "/hooks/" + trigger,
		"actions": []any{action},
	}
	return s.interact(trigger, "interactive", p)
}

// interact sends an interaction envelope of type typ carrying payload p,
// with s.mu held (it releases it), and returns the interaction.
func (s *Server) interact(trigger, typ string, p any) *Interaction {
	payload, _ := json.Marshal(p)
	in := &Interaction{s: s, TriggerID: trigger}
	env := &envelope{id: s.envelopeID(), typ: typ, payload: payload, inter: in}
	in.Envelope = env.id
	s.envelopes[env.id] = env
	s.interactions[trigger] = in
	s.mu.Unlock()
	s.deliver(env)
	return in
}

func msgJSON(m Message) map[string]any {
	out := map[string]any{"type": "message", "text": m.Text, "ts": m.TS}
	if m.User != "" {
		out["user"] = m.User
	}
	if m.BotID != "" {
		out["bot_id"] = m.BotID
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	var reactions []any
	for _, name := range slices.Sorted(maps.Keys(m.Reactions)) {
		if users := m.Reactions[name]; len(users) > 0 {
			reactions = append(reactions, map[string]any{"name": name, "users": users, "count": len(users)})
		}
	}
	if reactions != nil {
		out["reactions"] = reactions
	}
	return out
}

// find returns the message (s.mu held).
func (s *Server) find(channel, ts string) *Message {
	for _, m := range s.msgs[channel] {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

// --- what tests look at ---

// Messages returns copies of a channel's messages (replies included), in
// posting order.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.msgs[channel] {
		c := *m
		c.Reactions = map[string][]string{}
		for k, v := range m.Reactions {
			c.Reactions[k] = slices.Clone(v)
		}
		out = append(out, c)
	}
	return out
}

// BotMessages returns the messages the app posted in a channel.
func (s *Server) BotMessages(channel string) []Message {
	return slices.DeleteFunc(s.Messages(channel), func(m Message) bool { return m.BotID == "" })
}

// DMChannel returns the id of the direct message channel with a user.
func (s *Server) DMChannel(user string) string { return "D" + strings.TrimPrefix(user, "U") }

// Reactions returns who reacted with what on a message.
func (s *Server) Reactions(channel, ts string) map[string][]string {
	for _, m := range s.Messages(channel) {
		if m.TS == ts {
			return m.Reactions
		}
	}
	return nil
}

// Ephemerals returns the chat.postEphemeral messages.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ephemerals)
}

// Files returns the files shared so far.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.files)
}

// Calls returns the Web API calls of a method ("" for all).
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// RateLimited returns how many 429s the fake answered.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimited
}

// Connections returns how many Socket Mode connections were opened.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Connected reports whether a Socket Mode connection is open.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn != nil
}

// Acked reports whether some delivery of the event was acknowledged.
func (s *Server) Acked(eventID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ackedLocked(eventID)
}

func (s *Server) ackedLocked(eventID string) bool {
	for _, e := range s.byEvent[eventID] {
		if e.acked {
			return true
		}
	}
	return false
}

// AllAcked reports whether every delivery of the event was acknowledged.
func (s *Server) AllAcked(eventID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	envs := s.byEvent[eventID]
	for _, e := range envs {
		if !e.acked {
			return false
		}
	}
	return len(envs) > 0
}

// Quiet reports whether the newest delivery of every event was
// acknowledged (redeliveries included; a delivery lost with its connection
// is superseded by the next one).
func (s *Server) Quiet() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, envs := range s.byEvent {
		if len(envs) > 0 && !envs[len(envs)-1].acked {
			return false
		}
	}
	return true
}

// HistoryPages returns how many conversations.history pages were served.
func (s *Server) HistoryPages() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.historyPages
}

// Unacked returns the event ids not acknowledged yet.
func (s *Server) Unacked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id := range s.byEvent {
		if !s.ackedLocked(id) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// EventIDs returns the ids of the events sent so far, oldest first.
func (s *Server) EventIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.eventOrder)
}

// EventType returns the type of an event's inner event ("message",
// "reaction_added"...).
func (s *Server) EventType(eventID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.eventTypes[eventID]
}

// Deliveries returns how many times an event was sent to the app.
func (s *Server) Deliveries(eventID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deliveries[eventID]
}

// WaitFor polls cond until it holds or timeout passes, and reports whether
// it held.
func (s *Server) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Ack waits for the interaction's acknowledgement and returns its payload
// and how long after sending it came. Over HTTP, it returns at once
// (false) when the app did not answer 200: Slack does not retry these.
func (in *Interaction) Ack(timeout time.Duration) (Response, time.Duration, bool) {
	in.s.WaitFor(timeout, func() bool {
		in.s.mu.Lock()
		defer in.s.mu.Unlock()
		return in.acked || in.failed
	})
	in.s.mu.Lock()
	defer in.s.mu.Unlock()
	return in.ack, in.ackAfter, in.acked
}

// Responses returns the messages posted to the interaction's response_url.
func (in *Interaction) Responses() []Response {
	in.s.mu.Lock()
	defer in.s.mu.Unlock()
	return slices.Clone(in.responses)
}

// --- delivery ---

func (s *Server) deliver(env *envelope) {
	s.mu.Lock()
	target := s.httpTarget
	s.mu.Unlock()
	switch {
	case target == "":
		s.sendWS(env)
	case env.typ == "events_api":
		// Events go out one after the other, in the order they happened;
		// only retries come later.
		s.httpQueue <- env
	default:
		s.wg.Go(func() { s.deliverHTTP(env, 0) })
	}
}

// httpSender posts queued events in order.
func (s *Server) httpSender() {
	for {
		select {
		case <-s.closed:
			return
		case env := <-s.httpQueue:
			if !s.deliverHTTP(env, 0) {
				s.wg.Go(func() { s.retryHTTP(env) })
			}
		}
	}
}

func (s *Server) retryHTTP(env *envelope) {
	for attempt := 1; attempt <= s.o.MaxRetries; attempt++ {
		select {
		case <-s.closed:
			return
		case <-time.After(s.o.RedeliverAfter):
		}
		if s.deliverHTTP(env, attempt) {
			return
		}
	}
}

// sendWS writes an envelope to the open connection; with none, it waits
// for the next one (or the redelivery loop).
func (s *Server) sendWS(env *envelope) {
	s.mu.Lock()
	c := s.conn
	if c == nil || env.acked {
		s.mu.Unlock()
		return
	}
	msg := map[string]any{"envelope_id": env.id, "type": env.typ, "payload": env.payload,
		"accepts_response_payload": env.typ != "events_api"}
	if env.typ == "events_api" {
		msg["retry_attempt"] = env.attempts
		if env.attempts > 0 {
			msg["retry_reason"] = "timeout"
		}
		s.deliveries[env.eventID]++
	}
	env.sentAt = time.Now()
	if env.inter != nil && env.inter.sentAt.IsZero() {
		env.inter.sentAt = env.sentAt
	}
	s.mu.Unlock()
	if err := c.writeJSON(msg); err != nil {
		s.mu.Lock()
		if env.typ == "events_api" {
			s.deliveries[env.eventID]--
		}
		env.sentAt = time.Time{}
		s.mu.Unlock()
	}
}

// redeliverLoop sends again events_api envelopes left unacknowledged for
// RedeliverAfter, with retry_attempt counting up.
func (s *Server) redeliverLoop() {
	t := time.NewTicker(s.o.RedeliverAfter / 4)
	defer t.Stop()
	for {
		select {
		case <-s.closed:
			return
		case <-t.C:
		}
		s.mu.Lock()
		if s.httpTarget != "" {
			s.mu.Unlock()
			continue
		}
		var due []*envelope
		for _, e := range s.envelopes {
			if e.typ == "events_api" && !e.acked && !e.sentAt.IsZero() &&
				time.Since(e.sentAt) >= s.o.RedeliverAfter && e.attempts < s.o.MaxRetries {
				e.attempts++
				due = append(due, e)
			}
		}
		s.mu.Unlock()
		for _, e := range due {
			s.sendWS(e)
		}
	}
}

// deliverHTTP makes one signed request and reports whether the app
// answered 200.
func (s *Server) deliverHTTP(env *envelope, attempt int) bool {
	{
		s.mu.Lock()
		target, secret := s.httpTarget, s.httpSecret
		if env.typ == "events_api" {
			s.deliveries[env.eventID]++
		}
		sent := time.Now()
		if env.inter != nil {
			env.inter.sentAt = sent
		}
		s.mu.Unlock()
		var body []byte
		ctype := "application/json"
		switch env.typ {
		case "events_api":
			body = env.payload
		case "slash_commands":
			var p map[string]string
			_ = json.Unmarshal(env.payload, &p)
			form := url.Values{}
			for k, v := range p {
				form.Set(k, v)
			}
			body, ctype = []byte(form.Encode()), "application/x-www-form-urlencoded"
		case "interactive":
			body = []byte(url.Values{"payload": {string(env.payload)}}.Encode())
			ctype = "application/x-www-form-urlencoded"
		}
		req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", ctype)
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
		req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
		if attempt > 0 {
			req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(attempt))
			req.Header.Set("X-Slack-Retry-Reason", "http_error")
		}
		failed := func() bool {
			if env.inter != nil {
				s.mu.Lock()
				env.inter.failed = true
				s.mu.Unlock()
			}
			return false
		}
		res, err := (&http.Client{Timeout: 3 * time.Second}).Do(req)
		if err != nil {
			return failed()
		}
		resBody, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return failed()
		}
		s.mu.Lock()
		env.acked = true
		if in := env.inter; in != nil {
			in.acked = true
			in.ackAfter = time.Since(sent)
			in.ack = parseResponse(resBody)
		}
		s.mu.Unlock()
		return true
	}
}

func parseResponse(b []byte) Response {
	var r Response
	if len(strings.TrimSpace(string(b))) > 0 {
		_ = json.Unmarshal(b, &r)
		r.Raw = json.RawMessage(slices.Clone(b))
	}
	return r
}

// Sign returns Slack's v0 request signature of body.
func Sign(secret, timestamp string, body []byte) string {
	return sign(secret, timestamp, body)
}

// --- Socket Mode ---

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	conn := &wsConn{c: c}
	s.mu.Lock()
	old := s.conn
	s.conn = conn
	s.conns++
	s.mu.Unlock()
	if old != nil {
		_ = old.c.Close()
	}
	_ = conn.writeJSON(map[string]any{"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "fake-slack", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": s.o.AppID}})
	done := make(chan struct{})
	s.wg.Go(func() { s.ping(conn, done) })
	// Envelopes left unacknowledged (or never sent) go out on the new
	// connection, as Slack does after a reconnect.
	s.mu.Lock()
	var pending []*envelope
	for _, e := range s.envelopes {
		if !e.acked && (e.typ == "events_api" || e.sentAt.IsZero()) {
			pending = append(pending, e)
		}
	}
	s.mu.Unlock()
	sort.Slice(pending, func(i, j int) bool { return pending[i].id < pending[j].id })
	for _, e := range pending {
		s.mu.Lock()
		if !e.sentAt.IsZero() && e.attempts < s.o.MaxRetries {
			e.attempts++
		}
		s.mu.Unlock()
		s.sendWS(e)
	}
	s.read(conn)
	close(done)
	s.mu.Lock()
	if s.conn == conn {
		s.conn = nil
	}
	s.mu.Unlock()
}

func (s *Server) ping(c *wsConn, done chan struct{}) {
	t := time.NewTicker(s.o.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-s.closed:
			return
		case <-t.C:
		}
		s.mu.Lock()
		on := s.pinging
		s.mu.Unlock()
		if on {
			_ = c.c.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
		}
	}
}

func (s *Server) read(c *wsConn) {
	for {
		_, data, err := c.c.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(data, &ack); err != nil || ack.EnvelopeID == "" {
			s.mu.Lock()
			s.fail("socket mode: unexpected message %q", data)
			s.mu.Unlock()
			continue
		}
		if len(data) >= 20*1024 {
			s.mu.Lock()
			s.fail("socket mode: ack of %d bytes would be dropped by Slack", len(data))
			s.mu.Unlock()
			continue
		}
		s.mu.Lock()
		env := s.envelopes[ack.EnvelopeID]
		if env == nil {
			s.fail("socket mode: ack of unknown envelope %q", ack.EnvelopeID)
		} else {
			env.acked = true
			if in := env.inter; in != nil && !in.acked {
				in.acked = true
				in.ackAfter = time.Since(in.sentAt)
				if len(ack.Payload) > 0 && string(ack.Payload) != "null" {
					in.ack = parseResponse(ack.Payload)
				}
			}
		}
		s.mu.Unlock()
	}
}

// Disconnect asks the app to reconnect, as Slack does before it retires a
// connection ({"type":"disconnect"}).
func (s *Server) Disconnect() {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		_ = c.writeJSON(map[string]any{"type": "disconnect", "reason": "refresh_requested",
			"debug_info": map[string]any{"host": "fake-slack"}})
	}
}

// Drop cuts the Socket Mode connection without a word (a network failure).
func (s *Server) Drop() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		_ = c.c.UnderlyingConn().Close()
	}
}

// SetPinging turns the websocket pings on or off; without pings a client
// should give the connection up and open another.
func (s *Server) SetPinging(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pinging = on
}

// --- Web API ---

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	params, err := readParams(r)
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	token := params.Get("token")
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		token = bearer
	}
	s.mu.Lock()
	hold := s.holdInfo
	call := Call{Method: method, At: time.Now(), Params: params, Status: http.StatusOK, Token: token, Team: s.tokens[token]}
	valid := call.Team != ""
	switch method {
	case "apps.connections.open":
		valid = token == s.o.AppToken
	case "oauth.v2.access":
		valid = true // the app authenticates with its client id and secret
	}
	s.curTeam = call.Team
	if !valid {
		s.calls = append(s.calls, call)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	switch s.outage {
	case OutageError:
		call.Status = http.StatusInternalServerError
		s.calls = append(s.calls, call)
		s.mu.Unlock()
		http.Error(w, "fake Slack outage", http.StatusInternalServerError)
		return
	case OutageHangUp:
		call.Status = 0
		s.calls = append(s.calls, call)
		s.mu.Unlock()
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // closes the connection unanswered
	}
	if retry, limited := s.limited(method, params, call.At); limited {
		call.Status = http.StatusTooManyRequests
		s.calls = append(s.calls, call)
		s.rateLimited++
		s.mu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(retry))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	if q := s.refuse[method]; len(q) > 0 {
		s.refuse[method] = q[1:]
		call.Status = q[0].status
		s.calls = append(s.calls, call)
		s.mu.Unlock()
		writeJSON(w, q[0].status, map[string]any{"ok": false, "error": q[0].err})
		return
	}
	s.calls = append(s.calls, call)
	if hold != nil && method == "users.info" {
		s.mu.Unlock()
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
	}
	res, events := s.apply(method, params)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, res)
	for _, ev := range events {
		s.Emit(ev)
	}
}

// limited applies injected 429s and chat.postMessage's limits (s.mu held).
func (s *Server) limited(method string, p url.Values, now time.Time) (int, bool) {
	if q := s.inject[method]; len(q) > 0 {
		s.inject[method] = q[1:]
		return q[0], true
	}
	if method != "chat.postMessage" {
		return 0, false
	}
	ch := p.Get("channel")
	wsIv := time.Duration(float64(time.Second) / s.o.PostRate)
	wsTol := time.Duration(s.o.PostBurst-1)*wsIv + s.o.Jitter
	var wait time.Duration
	if tat, ok := s.chanLimit[ch]; ok && tat.After(now) {
		if early := tat.Sub(now) - s.o.ChannelTolerance; early > 0 {
			wait = early
		}
	}
	if s.wsTAT.After(now) {
		if early := s.wsTAT.Sub(now) - wsTol; early > wait {
			wait = early
		}
	}
	if wait > 0 {
		return max(1, int(math.Ceil(wait.Seconds()))), true
	}
	tat := s.chanLimit[ch]
	if tat.Before(now) {
		tat = now
	}
	s.chanLimit[ch] = tat.Add(s.o.ChannelInterval)
	if s.wsTAT.Before(now) {
		s.wsTAT = now
	}
	s.wsTAT = s.wsTAT.Add(wsIv)
	return 0, false
}

func readParams(r *http.Request) (url.Values, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil && err != io.EOF {
			return nil, err
		}
		v := r.URL.Query()
		for k, x := range m {
			switch x := x.(type) {
			case string:
				v.Set(k, x)
			default:
				b, _ := json.Marshal(x)
				v.Set(k, string(b))
			}
		}
		return v, nil
	}
	if strings.HasPrefix(mt, "multipart/") {
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return nil, err
		}
		return r.Form, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return r.Form, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func errRes(code string) map[string]any { return map[string]any{"ok": false, "error": code} }

// apply runs a Web API method (s.mu held) and returns the answer and the
// events it causes.
func (s *Server) apply(method string, p url.Values) (map[string]any, []map[string]any) {
	switch method {
	case "auth.test":
		t := s.teams[s.curTeam]
		return map[string]any{"ok": true, "url": s.o.TeamURL, "team": t.Name, "user": s.o.BotName,
			"team_id": t.ID, "user_id": t.BotUserID, "bot_id": t.BotID, "is_enterprise_install": false}, nil
	case "oauth.v2.access":
		return s.oauthAccess(p), nil
	case "apps.connections.open":
		u := strings.Replace(s.srv.URL, "http://", "ws://", 1) + "/ws?ticket=" + strconv.Itoa(s.nextSeq())
		return map[string]any{"ok": true, "url": u}, nil
	case "chat.postMessage":
		return s.chatPost(p)
	case "chat.postEphemeral":
		ch, user := p.Get("channel"), p.Get("user")
		if ch == "" || user == "" {
			return errRes("invalid_arguments"), nil
		}
		if _, ok := s.users[user]; !ok {
			return errRes("user_not_found"), nil
		}
		if !s.channelExists(ch) {
			return errRes("channel_not_found"), nil
		}
		s.ephemerals = append(s.ephemerals, Ephemeral{Channel: ch, User: user, Text: p.Get("text"), Blocks: rawJSON(p.Get("blocks"))})
		return map[string]any{"ok": true, "message_ts": s.newTS()}, nil
	case "chat.getPermalink":
		ch, ts := p.Get("channel"), p.Get("message_ts")
		if s.find(ch, ts) == nil {
			return errRes("message_not_found"), nil
		}
		return map[string]any{"ok": true, "channel": ch,
			"permalink": strings.TrimSuffix(s.o.TeamURL, "/") + "/archives/" + ch + "/p" + strings.Replace(ts, ".", "", 1)}, nil
	case "reactions.add":
		ch, ts, name := p.Get("channel"), p.Get("timestamp"), p.Get("name")
		m := s.find(ch, ts)
		if m == nil {
			return errRes("message_not_found"), nil
		}
		if m.Reactions == nil {
			m.Reactions = map[string][]string{}
		}
		self := s.teams[s.curTeam].BotUserID
		if slices.Contains(m.Reactions[name], self) {
			return errRes("already_reacted"), nil
		}
		m.Reactions[name] = append(m.Reactions[name], self)
		ev := map[string]any{"type": "reaction_added", "user": self, "reaction": name,
			"item": map[string]any{"type": "message", "channel": ch, "ts": ts}, "event_ts": s.newTS()}
		if m.User != "" {
			ev["item_user"] = m.User
		}
		return map[string]any{"ok": true}, []map[string]any{ev}
	case "users.info":
		s.usersInfo++
		u, ok := s.users[p.Get("user")]
		if !ok {
			return errRes("user_not_found"), nil
		}
		return map[string]any{"ok": true, "user": s.userJSONIn(u, s.curTeam)}, nil
	case "users.list":
		ids := make([]string, 0, len(s.users))
		for id, u := range s.users {
			if userTeam(u, s.curTeam) == s.curTeam { // the workspace's own members
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		page, next := paginate(len(ids), p)
		members := make([]any, 0, page[1]-page[0])
		for _, id := range ids[page[0]:page[1]] {
			members = append(members, s.userJSONIn(s.users[id], s.curTeam))
		}
		return map[string]any{"ok": true, "members": members, "response_metadata": map[string]any{"next_cursor": next}}, nil
	case "conversations.history":
		return s.history(p), nil
	case "conversations.replies":
		return s.replies(p), nil
	case "conversations.open":
		users := strings.Split(p.Get("users"), ",")
		if len(users) != 1 || users[0] == "" {
			return errRes("invalid_arguments"), nil
		}
		if _, ok := s.users[users[0]]; !ok {
			return errRes("user_not_found"), nil
		}
		id := s.DMChannel(users[0])
		if s.curTeam != s.o.TeamID {
			s.chanTeam[id] = s.curTeam
		}
		return map[string]any{"ok": true, "channel": map[string]any{"id": id, "is_im": true, "user": users[0]}}, nil
	case "conversations.info":
		ch := p.Get("channel")
		if strings.HasPrefix(ch, "D") {
			return map[string]any{"ok": true, "channel": map[string]any{"id": ch, "is_im": true}}, nil
		}
		name, ok := s.channels[ch]
		if !ok {
			return errRes("channel_not_found"), nil
		}
		k := s.kinds[ch]
		return map[string]any{"ok": true, "channel": map[string]any{"id": ch, "name": name, "is_channel": !k.Private,
			"is_group": k.Private, "is_private": k.Private, "is_ext_shared": k.ExtShared, "is_shared": k.ExtShared,
			"is_member": slices.Contains(s.members[ch], s.o.BotUserID), "num_members": len(s.members[ch])}}, nil
	case "conversations.members":
		ch := p.Get("channel")
		if _, ok := s.channels[ch]; !ok {
			return errRes("channel_not_found"), nil
		}
		page, next := paginate(len(s.members[ch]), p)
		return map[string]any{"ok": true, "members": s.members[ch][page[0]:page[1]],
			"response_metadata": map[string]any{"next_cursor": next}}, nil
	case "users.conversations":
		var ids []string
		for id := range s.channels {
			if slices.Contains(s.members[id], s.o.BotUserID) {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		page, next := paginate(len(ids), p)
		var chs []any
		for _, id := range ids[page[0]:page[1]] {
			chs = append(chs, map[string]any{"id": id, "name": s.channels[id], "is_channel": true, "is_member": true})
		}
		return map[string]any{"ok": true, "channels": chs, "response_metadata": map[string]any{"next_cursor": next}}, nil
	case "files.getUploadURLExternal":
		if p.Get("filename") == "" || p.Get("length") == "" {
			return errRes("invalid_arguments"), nil
		}
		id := fmt.Sprintf("F%08d", s.nextSeq())
		s.uploads[id] = nil
		return map[string]any{"ok": true, "upload_url": s.srv.URL + "/upload/" + id, "file_id": id}, nil
	case "files.completeUploadExternal":
		var files []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal([]byte(p.Get("files")), &files); err != nil || len(files) == 0 {
			return errRes("invalid_arguments"), nil
		}
		var out []any
		for _, f := range files {
			data, ok := s.uploads[f.ID]
			if !ok {
				return errRes("file_not_found"), nil
			}
			if data == nil {
				s.fail("files.completeUploadExternal: %s was never uploaded", f.ID)
				return errRes("file_not_found"), nil
			}
			s.files = append(s.files, File{ID: f.ID, Title: f.Title, Name: f.Title, Channel: p.Get("channel_id"),
				ThreadTS: p.Get("thread_ts"), InitialComment: p.Get("initial_comment"), Data: data})
			out = append(out, map[string]any{"id": f.ID, "title": f.Title})
		}
		return map[string]any{"ok": true, "files": out}, nil
	}
	s.fail("unexpected Web API method %q", method)
	return errRes("unknown_method"), nil
}

// paginate reads cursor (an offset) and limit from p and returns the page
// bounds of a list of n items and the next cursor ("" on the last page).
func paginate(n int, p url.Values) ([2]int, string) {
	from, _ := strconv.Atoi(p.Get("cursor"))
	limit, _ := strconv.Atoi(p.Get("limit"))
	if limit <= 0 {
		limit = 100
	}
	from = min(max(from, 0), n)
	to := min(from+limit, n)
	next := ""
	if to < n {
		next = strconv.Itoa(to)
	}
	return [2]int{from, to}, next
}

func (s *Server) channelExists(ch string) bool {
	if _, ok := s.channels[ch]; ok {
		return true
	}
	if strings.HasPrefix(ch, "D") {
		_, ok := s.users["U"+strings.TrimPrefix(ch, "D")]
		return ok
	}
	return false
}

func (s *Server) chatPost(p url.Values) (map[string]any, []map[string]any) {
	ch := p.Get("channel")
	if !s.channelExists(ch) || s.teamOf(ch) != s.curTeam {
		return errRes("channel_not_found"), nil
	}
	bot := s.teams[s.curTeam]
	text, blocks := p.Get("text"), p.Get("blocks")
	if text == "" && blocks == "" {
		return errRes("no_text"), nil
	}
	if blocks != "" {
		var b []map[string]any
		if err := json.Unmarshal([]byte(blocks), &b); err != nil || len(b) > 50 {
			return errRes("invalid_blocks"), nil
		}
		for _, x := range b {
			if t, ok := x["text"].(map[string]any); ok {
				if s, _ := t["text"].(string); (x["type"] == "header" && len([]rune(s)) > 150) || len([]rune(s)) > 3000 {
					return errRes("invalid_blocks"), nil
				}
			}
		}
	}
	thread := p.Get("thread_ts")
	if thread != "" && s.find(ch, thread) == nil {
		return errRes("thread_not_found"), nil
	}
	m := &Message{Channel: ch, TS: s.newTS(), ThreadTS: thread, User: bot.BotUserID, BotID: bot.BotID, Text: text,
		Blocks: rawJSON(blocks)}
	s.msgs[ch] = append(s.msgs[ch], m)
	ev := map[string]any{"type": "message", "user": bot.BotUserID, "bot_id": bot.BotID, "app_id": s.o.AppID,
		"text": text, "ts": m.TS, "channel": ch, "event_ts": m.TS, "channel_type": "channel"}
	if thread != "" {
		ev["thread_ts"] = thread
	}
	if strings.HasPrefix(ch, "D") {
		ev["channel_type"] = "im"
	}
	return map[string]any{"ok": true, "channel": ch, "ts": m.TS, "message": msgJSON(*m)}, []map[string]any{ev}
}

func rawJSON(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// history answers conversations.history: top-level messages between oldest
// and latest, newest first.
func (s *Server) history(p url.Values) map[string]any {
	ch := p.Get("channel")
	if !s.channelExists(ch) {
		return errRes("channel_not_found")
	}
	inclusive := p.Get("inclusive") == "true" || p.Get("inclusive") == "1"
	limit, _ := strconv.Atoi(p.Get("limit"))
	if limit <= 0 {
		limit = 100
	}
	var all []any
	list := s.msgs[ch]
	for i := len(list) - 1; i >= 0; i-- {
		m := list[i]
		if m.ThreadTS != "" && m.ThreadTS != m.TS {
			continue
		}
		if inRange(m.TS, p.Get("oldest"), p.Get("latest"), inclusive) {
			all = append(all, msgJSON(*m))
		}
	}
	// Pages of limit messages, newest first, as Slack (cursor: an offset).
	p.Set("limit", strconv.Itoa(limit))
	page, next := paginate(len(all), p)
	s.historyPages++
	return map[string]any{"ok": true, "messages": all[page[0]:page[1]], "has_more": next != "",
		"response_metadata": map[string]any{"next_cursor": next}}
}

// replies answers conversations.replies: the thread's parent, then its
// replies between oldest and latest.
func (s *Server) replies(p url.Values) map[string]any {
	ch, ts := p.Get("channel"), p.Get("ts")
	if !s.channelExists(ch) {
		return errRes("channel_not_found")
	}
	m := s.find(ch, ts)
	if m == nil {
		return errRes("thread_not_found")
	}
	root := ts
	if m.ThreadTS != "" {
		root = m.ThreadTS
	}
	parent := s.find(ch, root)
	if parent == nil {
		return errRes("thread_not_found")
	}
	inclusive := p.Get("inclusive") == "true" || p.Get("inclusive") == "1"
	out := []any{msgJSON(*parent)}
	for _, x := range s.msgs[ch] {
		if x.ThreadTS == root && x.TS != root && inRange(x.TS, p.Get("oldest"), p.Get("latest"), inclusive) {
			out = append(out, msgJSON(*x))
		}
	}
	return map[string]any{"ok": true, "messages": out, "has_more": false}
}

func inRange(ts, oldest, latest string, inclusive bool) bool {
	v, _ := strconv.ParseFloat(ts, 64)
	if oldest != "" {
		o, _ := strconv.ParseFloat(oldest, 64)
		if v < o || (!inclusive && v == o) {
			return false
		}
	}
	if latest != "" {
		l, _ := strconv.ParseFloat(latest, 64)
		if v > l || (!inclusive && v == l) {
			return false
		}
	}
	return true
}

func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	var data []byte
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			if part.FormName() == "file" {
				data, _ = io.ReadAll(part)
			}
		}
	} else {
		data, _ = io.ReadAll(r.Body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.uploads[id]; !ok {
		s.fail("upload to unknown file %q", id)
		http.Error(w, "unknown file", http.StatusNotFound)
		return
	}
	if data == nil {
		data = []byte{}
	}
	s.uploads[id] = data
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(data)))
}

func (s *Server) serveHook(w http.ResponseWriter, r *http.Request) {
	trigger := strings.TrimPrefix(r.URL.Path, "/hooks/")
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.interactions[trigger]
	if in == nil {
		http.Error(w, "no such response_url", http.StatusNotFound)
		return
	}
	if len(in.responses) >= 5 {
		http.Error(w, "used too many times", http.StatusNotFound)
		return
	}
	in.responses = append(in.responses, parseResponse(b))
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "ok")
}

// --- installs (OAuth v2) ---

// grant is an approved install waiting for the app to exchange its code.
type grant struct {
	team, installer, redirect, scope string
}

// AddTeam adds a workspace where people can install the app (Authorize).
// Its bot token works once installed.
func (s *Server) AddTeam(t Team) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.teams[t.ID] = t
	s.users[t.BotUserID] = User{ID: t.BotUserID, Name: s.o.BotName, DisplayName: s.o.BotName, Bot: true}
}

// AddTeamChannel adds a channel of another workspace, with its bot in it.
func (s *Server) AddTeamChannel(team, id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = name
	s.chanTeam[id] = team
	s.members[id] = []string{s.teams[team].BotUserID}
}

// Authorize is a person of team approving the install on Slack's authorize
// page, opened at authorizeURL (the "Add to Slack" link): it checks the
// link as Slack would and returns where Slack sends the browser back, with
// a code and the link's state.
func (s *Server) Authorize(authorizeURL, team, installer string) (string, error) {
	u, err := url.Parse(authorizeURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case u.Path != "/oauth/v2/authorize":
		return "", fmt.Errorf("authorize: path %q, want /oauth/v2/authorize", u.Path)
	case q.Get("client_id") != s.o.ClientID:
		return "", fmt.Errorf("authorize: client_id %q, want %q", q.Get("client_id"), s.o.ClientID)
	case q.Get("scope") == "" || q.Get("redirect_uri") == "":
		return "", fmt.Errorf("authorize: no scope or redirect_uri in %s", authorizeURL)
	}
	if _, ok := s.teams[team]; !ok {
		return "", fmt.Errorf("authorize: unknown team %s", team)
	}
	code := fmt.Sprintf("code-%d-%s", s.nextSeq(), team)
	s.codes[code] = grant{team: team, installer: installer, redirect: q.Get("redirect_uri"), scope: q.Get("scope")}
	back := url.Values{"code": {code}, "state": {q.Get("state")}}
	return q.Get("redirect_uri") + "?" + back.Encode(), nil
}

// oauthAccess is oauth.v2.access (s.mu held): a code for a bot token.
func (s *Server) oauthAccess(p url.Values) map[string]any {
	if p.Get("client_id") != s.o.ClientID {
		return errRes("invalid_client_id")
	}
	if p.Get("client_secret") != s.o.ClientSecret {
		return errRes("bad_client_secret")
	}
	g, ok := s.codes[p.Get("code")]
	if !ok {
		return errRes("invalid_code")
	}
	delete(s.codes, p.Get("code"))
	if p.Get("redirect_uri") != g.redirect {
		return errRes("bad_redirect_uri")
	}
	t := s.teams[g.team]
	res := map[string]any{"ok": true, "access_token": t.BotToken, "token_type": "bot", "scope": g.scope,
		"bot_user_id": t.BotUserID, "app_id": s.o.AppID, "authed_user": map[string]any{"id": g.installer}}
	if t.Enterprise {
		res["is_enterprise_install"] = true
		res["enterprise"] = map[string]any{"id": "E" + t.ID, "name": t.Name}
		res["team"] = nil
	} else {
		res["is_enterprise_install"] = false
		res["team"] = map[string]any{"id": t.ID, "name": t.Name}
		s.tokens[t.BotToken] = t.ID
	}
	return res
}

// Uninstall is an admin removing the app from a workspace: its bot token
// stops working and the app gets app_uninstalled then tokens_revoked.
func (s *Server) Uninstall(team string) {
	s.mu.Lock()
	t := s.teams[team]
	for tok, id := range s.tokens {
		if id == team {
			delete(s.tokens, tok)
		}
	}
	s.mu.Unlock()
	s.EmitTeam(team, map[string]any{"type": "app_uninstalled", "event_ts": "1714000000.000001"})
	s.EmitTeam(team, map[string]any{"type": "tokens_revoked", "tokens": map[string]any{"bot": []string{t.BotUserID}},
		"event_ts": "1714000000.000002"})
}
