// Package dashboard is tipbot's web dashboard (SPEC "Dashboard"): pages
// for the trainers of one workspace, reached through a personal link.
//
// Access: a link (Linker) carries signed claims — workspace, person, role,
// expiry (15 minutes) and a nonce. GET /dashboard/login exchanges it once
// (the nonce is recorded as used in the store through the core) for a
// session cookie: signed claims again, valid 8 hours, HttpOnly,
// SameSite=Strict, Secure when the base URL is https. Forms carry a CSRF
// token derived from the session (HMAC), checked on every POST. Every read
// goes through the core's read API for the session's workspace only.
//
// Pages are html/template, with the CSS inline and the charts drawn as SVG
// by the server (chart.go): no JavaScript, nothing from the internet.
package dashboard

import (
	"context"
	"crypto/hmac"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tipbot/tipbot/bot"
)

//go:embed templates/*.html
var templateFiles embed.FS

// CookieName is the name of the session cookie.
const CookieName = "tipbot_dashboard"

// trendWeeks is how many weeks the Overview's charts show.
const trendWeeks = 12

// Options configure a Server.
type Options struct {
	Bot     *bot.Bot
	Key     []byte // the signing key (LoadKey)
	BaseURL string // the links' base: an https one makes the cookie Secure
	Logger  *slog.Logger
	// MessageLink returns a link to a tip's source message for the
	// handouts, "" when there is none; nil: no links.
	MessageLink func(ws bot.Workspace, t bot.Tip) string
}

// Server serves the dashboard's pages under /dashboard/.
type Server struct {
	bot    *bot.Bot
	sign   signer
	secure bool
	log    *slog.Logger
	pages  map[string]*template.Template
	link   func(bot.Workspace, bot.Tip) string
}

// pageNames are the templates of pages, each drawn in the layout.
var pageNames = []string{"message", "overview", "tips", "tip", "people", "sessions", "moderation", "paths", "path"}

// New returns a dashboard server; it fails when the key is not KeySize
// bytes.
func New(o Options) (*Server, error) {
	if o.Bot == nil {
		return nil, errors.New("dashboard: no bot")
	}
	if len(o.Key) != KeySize {
		return nil, fmt.Errorf("dashboard: key of %d bytes, want %d", len(o.Key), KeySize)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{bot: o.Bot, sign: signer{o.Key}, secure: strings.HasPrefix(o.BaseURL, "https://"), log: log, pages: map[string]*template.Template{}, link: o.MessageLink}
	funcs := template.FuncMap{
		"snippet":  snippet,
		"inc":      func(i int) int { return i + 1 },
		"int64":    func(i int) int64 { return int64(i) },
		"days":     func(d time.Duration) int { return int(d / (24 * time.Hour)) },
		"modForms": modForms,
		"moveForm": moveForm,
	}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("dashboard: template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	return s, nil
}

// Handler routes the dashboard's pages.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /dashboard", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dashboard/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET "+LinkPath, s.login)
	mux.HandleFunc("GET /dashboard/{$}", s.auth(s.overview))
	mux.HandleFunc("GET /dashboard/tips", s.auth(s.tips))
	mux.HandleFunc("GET /dashboard/tips/{id}", s.auth(s.tip))
	mux.HandleFunc("GET /dashboard/people", s.auth(s.people))
	mux.HandleFunc("GET /dashboard/sessions", s.auth(s.sessions))
	mux.HandleFunc("GET /dashboard/moderation", s.auth(s.moderation))
	mux.HandleFunc("POST /dashboard/moderation", s.auth(s.moderate))
	mux.HandleFunc("GET /dashboard/paths", s.auth(s.paths))
	mux.HandleFunc("GET /dashboard/paths/{name}", s.auth(s.path))
	mux.HandleFunc("POST /dashboard/paths/{name}/move", s.auth(s.movePathTip))
	mux.HandleFunc("GET /dashboard/paths/{name}/download/{format}", s.auth(s.handout))
	mux.HandleFunc("/dashboard/", s.auth(func(w http.ResponseWriter, r *http.Request, sess *session) {
		s.message(w, sess.page(s, "notfound.title"), http.StatusNotFound, "notfound.body")
	}))
	return headers(mux)
}

// headers sets the security headers of every answer: nothing but the
// page's own styles and forms, no framing, no referrer (a link's token
// never leaks), no caching.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// session is a signed-in trainer's session.
type session struct {
	claims
	ws   bot.Workspace
	csrf string
}

// navItem is a link of the navigation bar.
type navItem struct {
	Href, Label string
	Current     bool
}

// page is what every template reads: the layout's parts and the page's Data.
type page struct {
	Locale    string
	Title     string
	Workspace string
	Nav       []navItem
	CSRF      string
	Message   string
	Refresh   string // the page moves on to this address at once
	Data      any
	loc       *time.Location
}

// T formats a text in the page's locale.
func (p *page) T(key string, args ...any) string { return translate(p.Locale, key, args...) }

// Date formats a day in the bot's time zone.
func (p *page) Date(t time.Time) string { return t.In(p.loc).Format("2006-01-02") }

// Time formats an instant in the bot's time zone.
func (p *page) Time(t time.Time) string { return t.In(p.loc).Format("2006-01-02 15:04") }

// N formats the text of key for the count n, singular or plural.
func (p *page) N(key string, n int64) string { return p.T(plural(p.Locale, key, n), n) }

// Event names what a history entry records; an event this version does
// not know is shown as it is stored.
func (p *page) Event(event string) string {
	if _, ok := texts[p.Locale]["history."+event]; ok {
		return p.T("history." + event)
	}
	return event
}

// Rate formats how many of members took part, or "—" when members is
// unknown.
func (p *page) Rate(people, members int) string {
	if members <= 0 {
		return "—"
	}
	return p.T("sessions.rate", p.decimal(float64(people)*100/float64(members)), members)
}

func (p *page) decimal(x float64) string {
	s := strconv.FormatFloat(x, 'f', 1, 64)
	if p.Locale == "fr" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// bare is a page without a session (its navigation is empty).
func (s *Server) bare(titleKey string) *page {
	p := &page{Locale: s.bot.Locale(), loc: s.bot.Location()}
	p.Title = p.T(titleKey)
	return p
}

// page returns the session's page titled by a text key, with the
// navigation bar.
func (sess *session) page(s *Server, titleKey string, args ...any) *page {
	p := &page{Locale: s.bot.Locale(), loc: s.bot.Location(), Workspace: sess.ws.Key(), CSRF: sess.csrf}
	p.Title = p.T(titleKey, args...)
	for _, n := range []struct{ href, key string }{
		{"/dashboard/", "nav.overview"}, {"/dashboard/tips", "nav.tips"}, {"/dashboard/people", "nav.people"},
		{"/dashboard/sessions", "nav.sessions"}, {"/dashboard/moderation", "nav.moderation"}, {"/dashboard/paths", "nav.paths"},
	} {
		p.Nav = append(p.Nav, navItem{Href: n.href, Label: p.T(n.key), Current: n.key == "nav."+strings.TrimSuffix(titleKey, ".title")})
	}
	return p
}

// render writes a page with its template.
func (s *Server) render(w http.ResponseWriter, name string, p *page, code int) {
	var b strings.Builder
	if err := s.pages[name].ExecuteTemplate(&b, "layout", p); err != nil {
		s.log.Error("dashboard: render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(b.String()))
}

// message writes a page of one paragraph.
func (s *Server) message(w http.ResponseWriter, p *page, code int, key string, args ...any) {
	p.Message = p.T(key, args...)
	s.render(w, "message", p, code)
}

// fail answers an error reading the store: logged, a page says so.
func (s *Server) fail(w http.ResponseWriter, sess *session, err error) {
	s.log.Error("dashboard: read failed", "workspace", sess.ws.Key(), "err", err)
	s.message(w, sess.page(s, "error.title"), http.StatusInternalServerError, "error.body")
}

// auth runs h with the request's session, or answers 401 with how to get
// a link.
func (s *Server) auth(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(r)
		if !ok {
			s.message(w, s.bare("unauth.title"), http.StatusUnauthorized, "unauth.body")
			return
		}
		h(w, r, sess)
	}
}

// session reads and checks the request's session cookie.
func (s *Server) session(r *http.Request) (*session, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil, false
	}
	cl, err := s.sign.verify(purposeSession, c.Value, s.bot.Now())
	if err != nil || cl.Role < bot.RoleTrainer {
		return nil, false
	}
	ws, err := bot.ParseWorkspace(cl.Workspace)
	if err != nil {
		return nil, false
	}
	return &session{claims: cl, ws: ws, csrf: s.sign.csrf(cl)}, true
}

// linkPreviewers are the user agents of chat platforms' link previews:
// they must not spend a single-use link (nor must a HEAD request).
var linkPreviewers = []string{"Slackbot", "Discordbot", "facebookexternalhit", "Twitterbot", "TelegramBot", "WhatsApp", "SkypeUriPreview", "Iframely"}

// login exchanges a link for a session: a fresh, unexpired, unused link
// sets the session cookie and opens the Overview.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ua := r.UserAgent()
	if r.Method == http.MethodHead || slices.ContainsFunc(linkPreviewers, func(p string) bool { return strings.Contains(ua, p) }) {
		s.message(w, s.bare("app.title"), http.StatusOK, "link.preview")
		return
	}
	now := s.bot.Now()
	cl, err := s.sign.verify(purposeLink, r.URL.Query().Get("t"), now)
	switch {
	case errors.Is(err, errExpired):
		s.message(w, s.bare("link.title"), http.StatusForbidden, "link.expired")
		return
	case err != nil:
		s.message(w, s.bare("link.title"), http.StatusBadRequest, "link.invalid")
		return
	}
	ws, err := bot.ParseWorkspace(cl.Workspace)
	if err != nil || cl.Role < bot.RoleTrainer {
		s.message(w, s.bare("link.title"), http.StatusBadRequest, "link.invalid")
		return
	}
	fresh, err := s.bot.UseDashboardNonce(r.Context(), ws, cl.Nonce, time.Unix(cl.Expires, 0))
	if err != nil {
		s.log.Error("dashboard: record a link as used", "workspace", ws.Key(), "err", err)
		s.message(w, s.bare("error.title"), http.StatusInternalServerError, "error.body")
		return
	}
	if !fresh {
		s.message(w, s.bare("link.title"), http.StatusForbidden, "link.used")
		return
	}
	n, err := nonce()
	if err != nil {
		s.log.Error("dashboard: new session", "err", err)
		s.message(w, s.bare("error.title"), http.StatusInternalServerError, "error.body")
		return
	}
	expires := now.Add(SessionTTL)
	value, err := s.sign.sign(purposeSession, claims{Workspace: cl.Workspace, Person: cl.Person, Role: cl.Role, Expires: expires.Unix(), Nonce: n})
	if err != nil {
		s.log.Error("dashboard: new session", "err", err)
		s.message(w, s.bare("error.title"), http.StatusInternalServerError, "error.body")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: value, Path: "/dashboard",
		MaxAge: int(SessionTTL / time.Second), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteStrictMode,
	})
	s.log.Info("dashboard session opened", "workspace", ws.Key(), "person", cl.Person)
	// A page that moves on to the Overview rather than a redirect: a
	// SameSite=Strict cookie is not sent along a redirect chain that
	// began on another site (the chat the link was clicked in).
	p := s.bare("login.title")
	p.Refresh = "/dashboard/"
	s.message(w, p, http.StatusOK, "login.done")
}

// overviewData is what the Overview shows.
type overviewData struct {
	Weeks   []bot.WeekTrend
	Charts  []Chart
	Figures bot.Figures // this month's
	Rate    string      // contributors per member, in percent; "" = unknown
	// Funnels are the month's funnels (funnelCharts).
	Funnels []Chart
}

// funnelStep is one step of a funnel: its text key and its figure.
type funnelStep struct {
	key   string
	value int64
}

// funnelCharts returns the month's funnels of f, each a chart of one
// series with a bar per step: participation (people seen → voters →
// contributors), nudges (sent → shared a tip within 7 days) and tips
// (captured → published → featured → in a path → applied). The figures
// come from the report's counters (bot.Figures).
func funnelCharts(p *page, f bot.Figures) []Chart {
	funnels := []struct {
		id, series string
		steps      []funnelStep
	}{
		{"funnel-people", "series.people", []funnelStep{{"seen", f.Seen}, {"voters", f.Voters}, {"contributors", f.Contributors}}},
		{"funnel-nudges", "series.nudges", []funnelStep{{"nudged", f.Nudged}, {"shared", f.NudgedShared}}},
		{"funnel-tips", "series.tips", []funnelStep{{"captured", f.Tips}, {"published", f.Published}, {"featured", f.Featured}, {"inpath", f.InPath}, {"applied", f.AppliedTips}}},
	}
	var charts []Chart
	for _, fn := range funnels {
		c := Chart{ID: fn.id, Title: p.T("chart." + fn.id), Caption: p.T("chart.table")}
		s := Series{Name: p.T(fn.series)}
		for _, st := range fn.steps {
			c.Labels = append(c.Labels, p.T("step."+st.key))
			c.Rows = append(c.Rows, p.T("step."+st.key+".full"))
			s.Values = append(s.Values, st.value)
		}
		c.Series = []Series{s}
		charts = append(charts, c)
	}
	return charts
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, sess *session) {
	p := sess.page(s, "overview.title")
	weeks, err := s.bot.Trends(r.Context(), sess.ws, trendWeeks)
	if err != nil {
		s.fail(w, sess, err)
		return
	}
	f, err := s.bot.PeriodFigures(r.Context(), sess.ws, bot.Month)
	if err != nil {
		s.fail(w, sess, err)
		return
	}
	d := overviewData{Weeks: weeks, Figures: f, Charts: trendCharts(p, weeks), Funnels: funnelCharts(p, f)}
	if f.Members > 0 {
		d.Rate = p.decimal(float64(f.Contributors) * 100 / float64(f.Members))
	}
	p.Data = d
	s.render(w, "overview", p, http.StatusOK)
}

// trendCharts are the Overview's four charts of the weeks.
func trendCharts(p *page, weeks []bot.WeekTrend) []Chart {
	var labels, rows []string
	for _, w := range weeks {
		_, n := w.Start.ISOWeek()
		labels = append(labels, p.T("week.short", n))
		rows = append(rows, p.T("week.row", p.Date(w.Start)))
	}
	series := func(name string, v func(bot.WeekTrend) int64) Series {
		s := Series{Name: name}
		for _, w := range weeks {
			s.Values = append(s.Values, v(w))
		}
		return s
	}
	var bySource []Series
	for _, src := range bot.Sources {
		bySource = append(bySource, series(p.T("source."+string(src)), func(w bot.WeekTrend) int64 { return w.TipsBySource[src] }))
	}
	charts := []Chart{
		{ID: "tips", Title: p.T("chart.tips"), Labels: labels, Rows: rows, Series: bySource, Stacked: true, Total: p.T("series.total")},
		{ID: "votes", Title: p.T("chart.votes"), Labels: labels, Rows: rows,
			Series: []Series{series(p.T("series.votes"), func(w bot.WeekTrend) int64 { return w.UsefulVotes })}},
		{ID: "contributors", Title: p.T("chart.contributors"), Labels: labels, Rows: rows, Series: []Series{
			series(p.T("series.contributors"), func(w bot.WeekTrend) int64 { return w.Contributors }),
			series(p.T("series.new"), func(w bot.WeekTrend) int64 { return w.NewContributors }),
		}},
		{ID: "applied", Title: p.T("chart.applied"), Labels: labels, Rows: rows,
			Series: []Series{series(p.T("series.applied"), func(w bot.WeekTrend) int64 { return w.Applied })}},
	}
	for i := range charts {
		charts[i].Caption = p.T("chart.table")
	}
	return charts
}

// tipsData is what the Tips page shows.
type tipsData struct {
	Filter   bot.TipFilter
	Statuses []bot.Status
	Channels []bot.Channel // the choices of the channel filter
	List     bot.TipList
	Older    string // the next page's address, "" when none
}

func (s *Server) tips(w http.ResponseWriter, r *http.Request, sess *session) {
	p := sess.page(s, "tips.title")
	q := r.URL.Query()
	f := bot.TipFilter{
		Words:   strings.TrimSpace(q.Get("q")),
		Topic:   strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q.Get("topic")), "#")),
		Channel: strings.TrimSpace(q.Get("channel")),
	}
	statuses := []bot.Status{bot.StatusPublished, bot.StatusPending, bot.StatusFeatured, bot.StatusRejected}
	if st := bot.Status(q.Get("status")); slices.Contains(statuses, st) {
		f.Status = st
	}
	if b := q.Get("before"); b != "" {
		if id, err := bot.ParseTipID(b); err == nil {
			f.Before = id
		}
	}
	list, err := s.bot.FindTips(r.Context(), sess.ws, f)
	if err != nil {
		s.fail(w, sess, err)
		return
	}
	channels, err := s.bot.DashboardChannels(r.Context(), sess.ws)
	if err != nil {
		s.fail(w, sess, err)
		return
	}
	d := tipsData{Filter: f, Statuses: statuses, List: list, Channels: channels}
	if list.Next != 0 {
		q.Set("before", list.Next.String())
		d.Older = "/dashboard/tips?" + q.Encode()
	}
	p.Data = d
	s.render(w, "tips", p, http.StatusOK)
}

func (s *Server) tip(w http.ResponseWriter, r *http.Request, sess *session) {
	id, err := bot.ParseTipID(r.PathValue("id"))
	if err != nil {
		s.message(w, sess.page(s, "notfound.title"), http.StatusNotFound, "notfound.body")
		return
	}
	d, err := s.bot.DashboardTip(r.Context(), sess.ws, id)
	if errors.Is(err, bot.ErrNotFound) {
		s.message(w, sess.page(s, "notfound.title"), http.StatusNotFound, "notfound.body")
		return
	}
	if err != nil {
		s.fail(w, sess, err)
		return
	}
	p := sess.page(s, "tip.title", d.Tip.ID.String())
	p.Data = d
	s.render(w, "tip", p, http.StatusOK)
}

// board is a table of standings on the People page.
type board struct {
	ID, Title string
	Rows      []bot.Standing
}

// peopleData is what the People page shows.
type peopleData struct {
	Boards  []board
	Experts []bot.TopicExperts
	Names   map[string]string
}

func (s *Server) people(w http.ResponseWriter, r *http.Request, sess *session) {
	p := sess.page(s, "people.title")
	f, err := s.bot.People(r.Context(), sess.ws, 10)
	if err != nil {
		s.fail(w, sess, err)
		return
	}
	p.Data = peopleData{
		Boards:  []board{{"top-all", p.T("people.topall"), f.TopAll}, {"top-month", p.T("people.topmonth"), f.TopMonth}},
		Experts: f.Experts, Names: f.Names,
	}
	s.render(w, "people", p, http.StatusOK)
}

// sessionsData is what the Sessions page shows.
type sessionsData struct {
	Sessions []bot.SessionFigures
}

func (s *Server) sessions(w http.ResponseWriter, r *http.Request, sess *session) {
	p := sess.page(s, "sessions.title")
	list, err := s.bot.RecentSessions(r.Context(), sess.ws, 30)
	if err != nil {
		s.fail(w, sess, err)
		return
	}
	p.Data = sessionsData{Sessions: list}
	s.render(w, "sessions", p, http.StatusOK)
}

// moderationData is what the Moderation page shows.
type moderationData struct {
	Pending bot.PendingList
	Said    string // tipbot's answer to the last action
}

func (s *Server) moderation(w http.ResponseWriter, r *http.Request, sess *session) {
	s.renderModeration(w, r.Context(), sess, "", http.StatusOK)
}

func (s *Server) renderModeration(w http.ResponseWriter, ctx context.Context, sess *session, said string, code int) {
	p := sess.page(s, "mod.title")
	list, err := s.bot.PendingTips(ctx, sess.ws, 50)
	if err != nil {
		s.fail(w, sess, err)
		return
	}
	p.Data = moderationData{Pending: list, Said: said}
	s.render(w, "moderation", p, code)
}

// moderationActions are the actions of the Moderation forms, with the
// status each one gives.
var moderationActions = []struct {
	name string
	to   bot.Status
}{{"approve", bot.StatusPublished}, {"feature", bot.StatusFeatured}, {"reject", bot.StatusRejected}}

// modFormsData is what the forms of one tip need.
type modFormsData struct {
	CSRF, Tip string
	Actions   []struct{ Name, Label string }
}

// modForms returns the moderation forms of a tip: the actions that would
// change its status.
func modForms(p *page, t bot.Tip) modFormsData {
	d := modFormsData{CSRF: p.CSRF, Tip: t.ID.String()}
	for _, a := range moderationActions {
		if t.Status != a.to {
			d.Actions = append(d.Actions, struct{ Name, Label string }{a.name, p.T("mod." + a.name)})
		}
	}
	return d
}

// checkForm parses a POSTed form and checks its CSRF token: a form
// without the session's token is refused (403) and checkForm answers
// false, having written the answer.
func (s *Server) checkForm(w http.ResponseWriter, r *http.Request, sess *session) bool {
	if err := r.ParseForm(); err != nil {
		s.message(w, sess.page(s, "csrf.title"), http.StatusBadRequest, "csrf.body")
		return false
	}
	if token := r.PostForm.Get("csrf"); token == "" || !hmac.Equal([]byte(token), []byte(sess.csrf)) {
		s.log.Info("dashboard: form refused: missing or wrong CSRF token", "workspace", sess.ws.Key(), "path", r.URL.Path)
		s.message(w, sess.page(s, "csrf.title"), http.StatusForbidden, "csrf.body")
		return false
	}
	return true
}

// user is the person acting through the session, as the core knows
// them: an admin by the session's signed role too.
func (sess *session) user() bot.User {
	u := bot.User{ID: sess.Person, Admin: sess.Role >= bot.RoleAdmin}
	if u.ID == "" {
		// A link from the command line: the operator, as an admin.
		u.ID = "dashboard"
	}
	return u
}

// moderate runs a moderation form's action through the core, as the
// command /tips approve|feature|reject would, by the session's person,
// and shows the core's answer. A form without the session's CSRF token is
// refused (403).
func (s *Server) moderate(w http.ResponseWriter, r *http.Request, sess *session) {
	if !s.checkForm(w, r, sess) {
		return
	}
	action := r.PostForm.Get("action")
	id, err := bot.ParseTipID(r.PostForm.Get("tip"))
	if err != nil || !slices.ContainsFunc(moderationActions, func(a struct {
		name string
		to   bot.Status
	}) bool {
		return a.name == action
	}) {
		s.message(w, sess.page(s, "notfound.title"), http.StatusNotFound, "notfound.body")
		return
	}
	user := sess.user()
	user.Name = s.bot.MemberName(r.Context(), sess.ws, user.ID)
	reply, err := s.bot.Handle(r.Context(), &bot.CommandInvoked{
		EventMeta: bot.EventMeta{Workspace: sess.ws},
		User:      user,
		Name:      "tips",
		Text:      action + " " + id.String(),
	})
	if err != nil {
		s.fail(w, sess, err)
		return
	}
	said := ""
	if reply != nil {
		said = reply.Text()
	}
	s.log.Info("dashboard moderation", "workspace", sess.ws.Key(), "person", user.ID, "action", action, "tip", id.String())
	s.renderModeration(w, r.Context(), sess, said, http.StatusOK)
}

// snippet shortens text to n runes.
func snippet(text string, n int) string {
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)
	return string(r[:n-1]) + "…"
}
