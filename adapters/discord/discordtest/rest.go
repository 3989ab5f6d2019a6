package discordtest

import (
	"bytes"
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
	"strconv"
	"strings"
	"time"
)

const (
	messageBucketLimit  = 5               // message creates per channel...
	messageBucketWindow = 5 * time.Second // ...per this window, as Discord
)

func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /gateway", s.serveGateway)
	mux.HandleFunc("GET /gateway/", s.serveGateway) // discordgo adds a slash
	mux.HandleFunc("GET /resume-gateway", s.serveGateway)
	mux.HandleFunc("GET /resume-gateway/", s.serveGateway)
	api := func(pattern string, h func(w http.ResponseWriter, r *http.Request, body []byte)) {
		method, path, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(method+" /api/v9"+path, func(w http.ResponseWriter, r *http.Request) { s.serveREST(w, r, h) })
	}
	api("GET /gateway", s.getGateway)
	api("GET /gateway/bot", s.getGateway)
	api("GET /users/@me", func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		writeJSON(w, 200, s.userJSON(AppID, BotName, true))
	})
	api("GET /applications/{app}/commands", s.getCommands)
	api("PUT /applications/{app}/commands", s.putCommands)
	api("PUT /applications/{app}/guilds/{guild}/commands", s.putCommands)
	api("POST /interactions/{id}/{token}/callback", s.interactionCallback)
	api("PATCH /webhooks/{app}/{token}/messages/@original", s.webhookEdit)
	api("POST /webhooks/{app}/{token}", s.webhookFollowup)
	api("GET /channels/{channel}", s.getChannel)
	api("GET /channels/{channel}/messages/{message}", s.getMessage)
	api("GET /channels/{channel}/messages", s.listMessages)
	api("GET /channels/{channel}/messages/{message}/reactions/{emoji}", s.listReactions)
	api("POST /channels/{channel}/messages", s.postMessage)
	api("PUT /channels/{channel}/messages/{message}/reactions/{emoji}/@me", s.putReaction)
	api("POST /users/@me/channels", s.openDM)
	api("GET /guilds/{guild}", s.getGuild)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func apiError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "code": code})
}

// serveREST checks the token and the rate limits, records the request and
// runs the route.
func (s *Server) serveREST(w http.ResponseWriter, r *http.Request, h func(http.ResponseWriter, *http.Request, []byte)) {
	body, _ := io.ReadAll(r.Body)
	rec := &recorder{ResponseWriter: w, status: 200}
	defer func() {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Body: body, Status: rec.status, At: time.Now()})
		s.mu.Unlock()
	}()
	exempt := strings.Contains(r.URL.Path, "/interactions/") || strings.Contains(r.URL.Path, "/webhooks/")
	if !exempt && !s.tokenOK(r.Header.Get("Authorization")) {
		apiError(rec, 401, 0, "401: Unauthorized")
		return
	}
	if in, ok := s.takeInjection(r); ok {
		switch {
		case in.status == 429:
			rec.Header().Set("Retry-After", strconv.Itoa(int(in.retryAfter+0.999)))
			writeJSON(rec, 429, map[string]any{"message": "You are being rate limited.", "retry_after": in.retryAfter, "global": false})
		case in.after:
			h(httptest.NewRecorder(), r, body) // done, but the answer is lost
			apiError(rec, in.status, 0, http.StatusText(in.status))
		default:
			apiError(rec, in.status, 0, http.StatusText(in.status))
		}
		return
	}
	if s.limit(rec, r, exempt) {
		return
	}
	if s.forbidden(r) {
		apiError(rec, 403, 50001, "Missing Access")
		return
	}
	h(rec, r, body)
}

// forbidden reports whether a request is about a guild the bot was
// removed from (the guild, or one of its channels).
func (s *Server) forbidden(r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.removed) == 0 {
		return false
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v9/"), "/")
	if len(parts) < 2 {
		return false
	}
	switch parts[0] {
	case "guilds":
		return s.removed[parts[1]]
	case "channels":
		c, ok := s.channels[parts[1]]
		return ok && s.removed[c.guildID]
	}
	return false
}

type recorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the status.
func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// takeInjection returns (and uses up) a failure a test asked for.
func (s *Server) takeInjection(r *http.Request) (injection, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.injected {
		in := &s.injected[i]
		if in.n > 0 && (in.method == "" || in.method == r.Method) && strings.Contains(r.URL.Path, in.path) {
			in.n--
			s.injectedN++
			return *in, true
		}
	}
	return injection{}, false
}

// limit answers 429 when the global limit is exceeded, or when a channel's message bucket is empty; it also sets the
// bucket headers discordgo reads.
func (s *Server) limit(w http.ResponseWriter, r *http.Request, exempt bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if !exempt {
		cut := 0
		for cut < len(s.recent) && now.Sub(s.recent[cut]) >= time.Second {
			cut++
		}
		s.recent = s.recent[cut:]
		if len(s.recent) >= s.opts.GlobalLimit {
			s.limited++
			retry := time.Second - now.Sub(s.recent[0])
			w.Header().Set("X-RateLimit-Global", "true")
			w.Header().Set("X-RateLimit-Scope", "global")
			w.Header().Set("Retry-After", "1")
			writeJSON(w, 429, map[string]any{"message": "You are being rate limited.", "retry_after": retry.Seconds(), "global": true})
			return true
		}
		s.recent = append(s.recent, now)
	}
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") && strings.HasPrefix(r.URL.Path, "/api/v9/channels/") {
		key := r.URL.Path
		hits := s.buckets[key]
		cut := 0
		for cut < len(hits) && now.Sub(hits[cut]) >= messageBucketWindow {
			cut++
		}
		hits = hits[cut:]
		resetAfter := messageBucketWindow
		if len(hits) > 0 {
			resetAfter = messageBucketWindow - now.Sub(hits[0])
		}
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(messageBucketLimit))
		w.Header().Set("X-RateLimit-Bucket", "msg-"+key)
		// Rounded up to the millisecond, so that a client that
		// waits what the header says is never early by a rounding.
		w.Header().Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", math.Ceil(resetAfter.Seconds()*1000)/1000))
		if len(hits) >= messageBucketLimit {
			s.limited++
			s.buckets[key] = hits
			w.Header().Set("X-RateLimit-Remaining", "0")
			writeJSON(w, 429, map[string]any{"message": "You are being rate limited.", "retry_after": resetAfter.Seconds(), "global": false})
			return true
		}
		hits = append(hits, now)
		s.buckets[key] = hits
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(messageBucketLimit-len(hits)))
	}
	return false
}

func (s *Server) getGateway(w http.ResponseWriter, _ *http.Request, _ []byte) {
	remaining, resetAfter := 999, time.Duration(0)
	if left := s.opts.SessionsExhaustedFor - time.Since(s.created); left > 0 {
		remaining, resetAfter = 0, left
	}
	writeJSON(w, 200, map[string]any{"url": s.wsURL(), "shards": 1,
		"session_start_limit": map[string]any{"total": 1000, "remaining": remaining, "reset_after": resetAfter.Milliseconds(), "max_concurrency": 1}})
}

func (s *Server) putCommands(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.PathValue("app") != AppID {
		apiError(w, 403, 50001, "Missing Access")
		return
	}
	var cmds []map[string]any
	if err := json.Unmarshal(body, &cmds); err != nil {
		apiError(w, 400, 50035, "Invalid Form Body")
		return
	}
	guild := r.PathValue("guild")
	s.mu.Lock()
	s.commands[guild] = append(json.RawMessage(nil), body...)
	for _, c := range cmds {
		c["id"] = s.newID()
		c["application_id"] = AppID
		c["version"] = s.newID()
		if guild != "" {
			c["guild_id"] = guild
		}
	}
	s.mu.Unlock()
	writeJSON(w, 200, cmds)
}

func (s *Server) getCommands(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cmds []map[string]any
	if b := s.commands[""]; b != nil {
		_ = json.Unmarshal(b, &cmds)
	}
	if cmds == nil {
		cmds = []map[string]any{}
	}
	for _, c := range cmds {
		c["id"] = s.newID()
		c["application_id"] = AppID
	}
	writeJSON(w, 200, cmds)
}

// Commands returns the last command list registered in a guild ("" for
// global commands), as the JSON the bot sent.
func (s *Server) Commands(guild string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[guild]
}

// messageBody is the part of a message payload the fake reads.
type messageBody struct {
	Content string  `json:"content"`
	Embeds  []Embed `json:"embeds"`
	// Components are the message's action rows, each with its buttons.
	Components []struct {
		Components []Button `json:"components"`
	} `json:"components"`
	Flags   int          `json:"flags"`
	Nonce   string       `json:"nonce"`
	Enforce bool         `json:"enforce_nonce"`
	Type    int          `json:"type"`
	Data    *messageBody `json:"data"`
	// Choices answer an autocomplete interaction (callback type 8).
	Choices   []Choice `json:"choices"`
	Reference *struct {
		MessageID string `json:"message_id"`
	} `json:"message_reference"`
}

// readBody reads a JSON or multipart (payload_json + files) body.
func readBody(r *http.Request, body []byte) (messageBody, []File, error) {
	var mb messageBody
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		err := json.Unmarshal(body, &mb)
		return mb, nil, err
	}
	var files []File
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return mb, files, nil
		}
		if err != nil {
			return mb, nil, err
		}
		data, _ := io.ReadAll(p)
		if p.FormName() == "payload_json" {
			if err := json.Unmarshal(data, &mb); err != nil {
				return mb, nil, err
			}
			continue
		}
		files = append(files, File{Name: p.FileName(), Data: data})
	}
}

func (s *Server) interactionCallback(w http.ResponseWriter, r *http.Request, body []byte) {
	cb, files, err := readBody(r, body)
	if err != nil {
		apiError(w, 400, 50035, "Invalid Form Body")
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens[r.PathValue("token")] != id {
		apiError(w, 404, 10062, "Unknown interaction")
		return
	}
	for _, resp := range s.responses[id] {
		if resp.Kind == "callback" {
			apiError(w, 400, 40060, "Interaction has already been acknowledged.")
			return
		}
	}
	resp := Response{Kind: "callback", Type: cb.Type, Files: files, At: time.Now()}
	if cb.Data != nil {
		resp.Flags, resp.Content, resp.Embeds, resp.Choices = cb.Data.Flags, cb.Data.Content, cb.Data.Embeds, cb.Data.Choices
	}
	if s.autocompletes[id] && (cb.Type != 8 || len(resp.Choices) > 25) {
		// Discord accepts only choices, at most 25, for an autocomplete.
		apiError(w, 400, 50035, "Invalid Form Body")
		return
	}
	s.responses[id] = append(s.responses[id], resp)
	w.WriteHeader(204)
}

func (s *Server) webhookEdit(w http.ResponseWriter, r *http.Request, body []byte) {
	s.webhookMessage(w, r, body, "edit")
}

func (s *Server) webhookFollowup(w http.ResponseWriter, r *http.Request, body []byte) {
	s.webhookMessage(w, r, body, "followup")
}

// webhookMessage records an edit of the original response (which keeps
// the callback's flags) or a follow-up message (with its own flags).
func (s *Server) webhookMessage(w http.ResponseWriter, r *http.Request, body []byte, kind string) {
	mb, files, err := readBody(r, body)
	if err != nil {
		apiError(w, 400, 50035, "Invalid Form Body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.tokens[r.PathValue("token")]
	if !ok || r.PathValue("app") != AppID {
		apiError(w, 404, 10015, "Unknown Webhook")
		return
	}
	flags := mb.Flags
	if kind == "edit" {
		flags = 0
		for _, resp := range s.responses[id] {
			if resp.Kind == "callback" {
				flags = resp.Flags
			}
		}
	}
	s.responses[id] = append(s.responses[id], Response{Kind: kind, Flags: flags, Content: mb.Content, Embeds: mb.Embeds, Files: files, At: time.Now()})
	writeJSON(w, 200, map[string]any{"id": s.newID(), "channel_id": "0", "content": mb.Content, "flags": flags,
		"author": s.userJSON(AppID, BotName, true), "timestamp": time.Now().UTC().Format(time.RFC3339)})
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[r.PathValue("channel")]
	if !ok {
		apiError(w, 404, 10003, "Unknown Channel")
		return
	}
	writeJSON(w, 200, s.channelJSON(c))
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[r.PathValue("message")]
	if !ok || m.Deleted || m.ChannelID != r.PathValue("channel") {
		apiError(w, 404, 10008, "Unknown Message")
		return
	}
	writeJSON(w, 200, s.messageJSON(m, false))
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request, body []byte) {
	mb, files, err := readBody(r, body)
	if err != nil {
		apiError(w, 400, 50035, "Invalid Form Body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[r.PathValue("channel")]
	if !ok {
		apiError(w, 404, 10003, "Unknown Channel")
		return
	}
	if mb.Content == "" && len(mb.Embeds) == 0 && len(files) == 0 {
		apiError(w, 400, 50006, "Cannot send an empty message")
		return
	}
	if mb.Enforce && mb.Nonce != "" {
		if id, ok := s.nonces[ch.ID+"/"+mb.Nonce]; ok {
			writeJSON(w, 200, s.messageJSON(s.messages[id], false))
			return
		}
	}
	m := &Message{ID: s.newID(), ChannelID: ch.ID, GuildID: ch.guildID, AuthorID: AppID, Content: mb.Content,
		Embeds: mb.Embeds, Files: files, Created: time.Now()}
	for _, row := range mb.Components {
		m.Buttons = append(m.Buttons, row.Components...)
	}
	if mb.Reference != nil {
		m.Reference = mb.Reference.MessageID
	}
	s.messages[m.ID] = m
	s.order = append(s.order, m.ID)
	if mb.Nonce != "" {
		s.nonces[ch.ID+"/"+mb.Nonce] = m.ID
	}
	if ch.guildID != "" {
		s.dispatchLocked("MESSAGE_CREATE", s.messageJSON(m, true))
	}
	writeJSON(w, 200, s.messageJSON(m, false))
}

func (s *Server) putReaction(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[r.PathValue("message")]
	if !ok || m.Deleted || m.ChannelID != r.PathValue("channel") {
		apiError(w, 404, 10008, "Unknown Message")
		return
	}
	emoji := r.PathValue("emoji")
	s.reactions = append(s.reactions, Reaction{ChannelID: m.ChannelID, MessageID: m.ID, Emoji: emoji})
	s.dispatchLocked("MESSAGE_REACTION_ADD", s.reactionJSON(m, AppID, emoji, true))
	w.WriteHeader(204)
}

func (s *Server) openDM(w http.ResponseWriter, _ *http.Request, body []byte) {
	var req struct {
		RecipientID string `json:"recipient_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.RecipientID == "" {
		apiError(w, 400, 50035, "Invalid Form Body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.dms[req.RecipientID]
	if !ok {
		id = s.newID()
		s.dms[req.RecipientID] = id
		s.channels[id] = &channelRec{Channel: Channel{ID: id, Type: 1}, dm: req.RecipientID}
	}
	writeJSON(w, 200, s.channelJSON(s.channels[id]))
}

func (s *Server) getGuild(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.guilds[r.PathValue("guild")]
	if !ok {
		apiError(w, 404, 10004, "Unknown Guild")
		return
	}
	j := s.guildJSON(g)
	delete(j, "channels")
	delete(j, "threads")
	delete(j, "members")
	if r.URL.Query().Get("with_counts") == "true" {
		j["approximate_member_count"] = len(g.Members)
	}
	writeJSON(w, 200, j)
}

// JSON shapes, as Discord sends them.

func (s *Server) sortedGuilds() []*Guild {
	var gs []*Guild
	for _, g := range s.guilds {
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(a, b *Guild) int { return strings.Compare(a.ID, b.ID) })
	return gs
}

func (s *Server) userJSON(id, name string, bot bool) map[string]any {
	u := map[string]any{"id": id, "username": name, "global_name": name, "discriminator": "0", "avatar": nil}
	if bot {
		u["bot"] = true
	}
	return u
}

func (s *Server) member(guild, user string) (Member, bool) {
	g, ok := s.guilds[guild]
	if !ok {
		return Member{}, false
	}
	for _, m := range g.Members {
		if m.ID == user {
			return m, true
		}
	}
	return Member{}, false
}

func (s *Server) memberJSON(guild, user string, withUser bool) map[string]any {
	m, _ := s.member(guild, user)
	roles := m.Roles
	if roles == nil {
		roles = []string{}
	}
	j := map[string]any{"roles": roles, "nick": nil, "joined_at": "2024-01-01T00:00:00+00:00", "deaf": false, "mute": false, "flags": 0}
	if m.Nick != "" {
		j["nick"] = m.Nick
	}
	if withUser {
		j["user"] = s.userJSON(user, nameOr(m.Name, user), m.Bot)
	}
	return j
}

func nameOr(name, id string) string {
	if name != "" {
		return name
	}
	return "user" + id
}

// permissions computes a member's guild permissions from their roles.
func (s *Server) permissions(guild, user string) int64 {
	g, ok := s.guilds[guild]
	if !ok {
		return 0
	}
	if g.OwnerID == user {
		return PermAdministrator | PermManageGuild
	}
	m, _ := s.member(guild, user)
	var p int64
	for _, r := range g.Roles {
		if r.ID == guild || slices.Contains(m.Roles, r.ID) {
			p |= r.Permissions
		}
	}
	return p
}

func (s *Server) guildJSON(g *Guild) map[string]any {
	var roles, channels, threads, members []map[string]any
	for i, r := range g.Roles {
		roles = append(roles, map[string]any{"id": r.ID, "name": r.Name, "permissions": strconv.FormatInt(r.Permissions, 10),
			"position": i, "color": 0, "hoist": false, "managed": false, "mentionable": false})
	}
	for _, c := range s.channels {
		if c.guildID != g.ID {
			continue
		}
		if c.Type == 11 || c.Type == 12 {
			threads = append(threads, s.channelJSON(c))
		} else {
			channels = append(channels, s.channelJSON(c))
		}
	}
	for _, m := range g.Members {
		if m.ID == AppID {
			members = append(members, s.memberJSON(g.ID, m.ID, true))
		}
	}
	return map[string]any{
		"id": g.ID, "name": g.Name, "owner_id": g.OwnerID, "roles": roles, "channels": channels, "threads": threads,
		"members": members, "member_count": len(g.Members), "joined_at": "2024-01-01T00:00:00+00:00",
		"unavailable": false, "large": false, "emojis": []any{}, "features": []any{},
	}
}

func (s *Server) channelJSON(c *channelRec) map[string]any {
	j := map[string]any{"id": c.ID, "type": c.Type, "name": c.Name}
	if c.guildID != "" {
		j["guild_id"] = c.guildID
	}
	if c.ParentID != "" {
		j["parent_id"] = c.ParentID
	}
	switch {
	case c.Hidden && c.guildID != "":
		j["permission_overwrites"] = []any{map[string]any{"id": c.guildID, "type": 0, "allow": "0", "deny": "1024"}}
	case c.Shown && c.guildID != "":
		j["permission_overwrites"] = []any{map[string]any{"id": c.guildID, "type": 0, "allow": "1024", "deny": "0"}}
	}
	if c.Type == 11 || c.Type == 12 {
		j["thread_metadata"] = map[string]any{"archived": false, "auto_archive_duration": 1440, "locked": false}
	}
	if c.dm != "" {
		j["recipients"] = []any{s.userJSON(c.dm, "user"+c.dm, false)}
	}
	return j
}

// messageJSON shapes a message; on the gateway (dispatch) its content is
// hidden when the session lacks the message content intent, unless the
// bot wrote it or is mentioned.
func (s *Server) messageJSON(m *Message, dispatch bool) map[string]any {
	m2, _ := s.member(m.GuildID, m.AuthorID)
	content := m.Content
	if m.AuthorID != AppID && s.intents&intentContent == 0 && !strings.Contains(content, "<@"+AppID+">") {
		content = ""
	}
	embeds := m.Embeds
	if embeds == nil {
		embeds = []Embed{}
	}
	var edited any
	if !m.Edited.IsZero() {
		edited = m.Edited.UTC().Format(time.RFC3339Nano)
	}
	j := map[string]any{
		"id": m.ID, "channel_id": m.ChannelID, "content": content, "type": 0,
		"author":    s.userJSON(m.AuthorID, nameOr(m2.Name, m.AuthorID), m.AuthorID == AppID || m2.Bot),
		"timestamp": m.Created.UTC().Format(time.RFC3339Nano), "edited_timestamp": edited,
		"embeds": embeds, "attachments": []any{}, "mentions": []any{}, "mention_roles": []any{},
		"pinned": false, "tts": false, "mention_everyone": false,
	}
	if m.GuildID != "" && dispatch {
		j["guild_id"] = m.GuildID
		j["member"] = s.memberJSON(m.GuildID, m.AuthorID, false)
	}
	if m.Reference != "" {
		j["type"] = 19
		j["message_reference"] = map[string]any{"type": 0, "message_id": m.Reference, "channel_id": m.ChannelID, "guild_id": m.GuildID}
	}
	return j
}

func (s *Server) reactionJSON(m *Message, user, emoji string, add bool) map[string]any {
	e := map[string]any{"id": nil, "name": emoji}
	if name, id, ok := strings.Cut(emoji, ":"); ok {
		e = map[string]any{"id": id, "name": name}
	}
	j := map[string]any{"user_id": user, "channel_id": m.ChannelID, "message_id": m.ID, "guild_id": m.GuildID, "emoji": e}
	if add {
		j["member"] = s.memberJSON(m.GuildID, user, true)
		j["message_author_id"] = m.AuthorID
	}
	if user != "" {
		j["burst"] = false
		j["type"] = 0
	}
	return j
}

func formatInt(v int64) string { return strconv.FormatInt(v, 10) }

// snowflakeLess orders snowflakes (decimal strings) by value.
func snowflakeLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// listMessages answers GET /channels/{channel}/messages?after=ID&limit=N:
// the N messages right after ID, newest first, as Discord, with their
// reaction counts.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	channel := r.PathValue("channel")
	if _, ok := s.channels[channel]; !ok {
		apiError(w, 404, 10003, "Unknown Channel")
		return
	}
	after := r.URL.Query().Get("after")
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	var picked []*Message
	for _, id := range s.order {
		m := s.messages[id]
		if m.ChannelID != channel || m.Deleted || (after != "" && !snowflakeLess(after, m.ID)) {
			continue
		}
		if len(picked) < limit {
			picked = append(picked, m)
		}
	}
	out := []any{}
	for i := len(picked) - 1; i >= 0; i-- {
		m := picked[i]
		j := s.messageJSON(m, false)
		var reactions []any
		for _, e := range slices.Sorted(maps.Keys(m.Held)) {
			reactions = append(reactions, map[string]any{"emoji": map[string]any{"id": nil, "name": e}, "count": len(m.Held[e]), "me": false})
		}
		if reactions != nil {
			j["reactions"] = reactions
		}
		out = append(out, j)
	}
	writeJSON(w, 200, out)
}

// listReactions answers GET .../reactions/{emoji}?after=USER&limit=N: the
// members holding the emoji, by id.
func (s *Server) listReactions(w http.ResponseWriter, r *http.Request, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[r.PathValue("message")]
	if !ok || m.Deleted || m.ChannelID != r.PathValue("channel") {
		apiError(w, 404, 10008, "Unknown Message")
		return
	}
	emoji, _ := url.PathUnescape(r.PathValue("emoji"))
	after := r.URL.Query().Get("after")
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 25
	}
	users := slices.SortedFunc(slices.Values(m.Held[emoji]), func(a, b string) int {
		if snowflakeLess(a, b) {
			return -1
		}
		if a == b {
			return 0
		}
		return 1
	})
	out := []any{}
	for _, u := range users {
		if after != "" && !snowflakeLess(after, u) {
			continue
		}
		if len(out) == limit {
			break
		}
		mem, _ := s.member(m.GuildID, u)
		out = append(out, s.userJSON(u, nameOr(mem.Name, u), mem.Bot))
	}
	writeJSON(w, 200, out)
}
