package dashboard

import (
	"bytes"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"

	"github.com/tipbot/tipbot/bot"
)

// pathsData is what the Paths page shows.
type pathsData struct {
	Paths []bot.Path
}

func (s *Server) paths(w http.ResponseWriter, r *http.Request, sess *session) {
	p := sess.page(s, "paths.title")
	list, err := s.bot.Paths(r.Context(), sess.ws)
	if err != nil {
		s.fail(w, sess, err)
		return
	}
	p.Data = pathsData{Paths: list}
	s.render(w, "paths", p, http.StatusOK)
}

// pathData is what a path's page shows.
type pathData struct {
	Path bot.Path
	// Tips are the path's tips the whole workspace may read, in order
	// (bot.PathTips); Hidden counts the others.
	Tips   []bot.Tip
	Hidden int
	Moved  string // the answer to the last move, "" when none
}

// Downloads are the handout's formats the page offers.
func (pathData) Downloads() []string { return []string{"md", "csv"} }

func (s *Server) path(w http.ResponseWriter, r *http.Request, sess *session) {
	path, tips, ok := s.readPath(w, r, sess)
	if !ok {
		return
	}
	p := sess.page(s, "path.title", path.Title, path.Name)
	d := pathData{Path: path, Tips: tips, Hidden: len(path.Tips) - len(tips)}
	if id, err := bot.ParseTipID(r.URL.Query().Get("moved")); err == nil {
		if i := slices.IndexFunc(tips, func(t bot.Tip) bool { return t.ID == id }); i >= 0 {
			d.Moved = p.T("path.moved", id.String(), i+1)
		}
	}
	p.Data = d
	s.render(w, "path", p, http.StatusOK)
}

// readPath reads the request's path and its tips as the whole workspace
// may read them; it answers 404 when there is no such path, and false
// when it wrote an answer.
func (s *Server) readPath(w http.ResponseWriter, r *http.Request, sess *session) (bot.Path, []bot.Tip, bool) {
	path, tips, err := s.bot.PathTips(r.Context(), sess.ws, r.PathValue("name"))
	if errors.Is(err, bot.ErrNotFound) {
		s.message(w, sess.page(s, "notfound.title"), http.StatusNotFound, "path.notfound")
		return path, nil, false
	}
	if err != nil {
		s.fail(w, sess, err)
		return path, nil, false
	}
	return path, tips, true
}

// movePathTip moves a tip one place up or down among the path's tips the
// page shows, through the core as the session's person (trainers and
// admins only: the core checks), then goes back to the path's page. A
// form without the session's CSRF token is refused (403).
func (s *Server) movePathTip(w http.ResponseWriter, r *http.Request, sess *session) {
	if !s.checkForm(w, r, sess) {
		return
	}
	id, err := bot.ParseTipID(r.PostForm.Get("tip"))
	step := map[string]int{"up": -1, "down": 1}[r.PostForm.Get("dir")]
	if err != nil || step == 0 {
		s.message(w, sess.page(s, "notfound.title"), http.StatusNotFound, "notfound.body")
		return
	}
	path, tips, ok := s.readPath(w, r, sess)
	if !ok {
		return
	}
	// A move passes over the tips the page does not show (restricted to
	// their channel, no longer published): it swaps two shown tips.
	i := slices.IndexFunc(tips, func(t bot.Tip) bool { return t.ID == id })
	if i < 0 {
		s.message(w, sess.page(s, "notfound.title"), http.StatusNotFound, "path.notin")
		return
	}
	delta := 0
	if j := i + step; j >= 0 && j < len(tips) {
		delta = slices.Index(path.Tips, tips[j].ID) - slices.Index(path.Tips, id)
	}
	user := sess.user()
	if delta != 0 {
		err = s.bot.MovePathTip(r.Context(), sess.ws, user, path.Name, id, delta)
	}
	switch {
	case errors.Is(err, bot.ErrForbidden):
		s.message(w, sess.page(s, "forbidden.title"), http.StatusForbidden, "path.forbidden")
		return
	case errors.Is(err, bot.ErrNotFound):
		s.message(w, sess.page(s, "notfound.title"), http.StatusNotFound, "path.notin")
		return
	case err != nil:
		s.fail(w, sess, err)
		return
	}
	s.log.Info("dashboard path move", "workspace", sess.ws.Key(), "person", user.ID, "path", path.Name, "tip", id.String(), "delta", delta)
	back := "/dashboard/paths/" + url.PathEscape(path.Name) + "?moved=" + id.String() + "#path-tip-" + id.String()
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// handoutTypes are the content types of the handout's formats.
var handoutTypes = map[string]string{"md": "text/markdown; charset=utf-8", "csv": "text/csv; charset=utf-8"}

// handout answers a path's handout (bot.WritePath) as a file to save:
// Markdown or CSV, named after the path.
func (s *Server) handout(w http.ResponseWriter, r *http.Request, sess *session) {
	format := r.PathValue("format")
	ctype, known := handoutTypes[format]
	if !known {
		s.message(w, sess.page(s, "notfound.title"), http.StatusNotFound, "notfound.body")
		return
	}
	path, tips, ok := s.readPath(w, r, sess)
	if !ok {
		return
	}
	ids := make([]bot.TipID, len(tips))
	for i, t := range tips {
		ids[i] = t.ID
	}
	inPaths, err := s.bot.TipPaths(r.Context(), sess.ws, ids)
	if err != nil {
		s.fail(w, sess, err)
		return
	}
	h := bot.Handout{Workspace: sess.ws, Locale: s.bot.Locale(), Paths: inPaths}
	if s.link != nil {
		ws := sess.ws
		h.Link = func(t bot.Tip) string { return s.link(ws, t) }
	}
	var b bytes.Buffer
	if err := bot.WritePath(&b, format, path, tips, h); err != nil {
		s.fail(w, sess, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Name + "." + format}))
	s.log.Info("dashboard handout", "workspace", sess.ws.Key(), "person", sess.Person, "path", path.Name, "format", format)
	_, _ = w.Write(b.Bytes())
}

// moveFormData is what the move form of a path's tip needs.
type moveFormData struct {
	CSRF, Path, Tip string
	Buttons         []moveButton
}

// moveButton is a button of a move form.
type moveButton struct {
	Dir         string // "up" or "down"
	Text, Label string // the button's text, and its name for screen readers
}

// moveForm returns the form that moves the i-th of n tips shown of path
// one place up or down: no "up" for the first, no "down" for the last.
func moveForm(p *page, path string, tip bot.TipID, i, n int) moveFormData {
	d := moveFormData{CSRF: p.CSRF, Path: path, Tip: tip.String()}
	for _, dir := range []string{"up", "down"} {
		if dir == "up" && i == 0 || dir == "down" && i == n-1 {
			continue
		}
		d.Buttons = append(d.Buttons, moveButton{Dir: dir, Text: p.T("path." + dir), Label: p.T("path."+dir+".label", tip.String())})
	}
	return d
}
