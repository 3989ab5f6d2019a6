package bot

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
)

// PathFormats are the formats WritePath writes.
var PathFormats = []string{"md", "csv", "jsonl"}

// Handout is what WritePath needs to know beyond the path and its tips.
type Handout struct {
	// Workspace fills the workspace and platform columns of csv and jsonl.
	Workspace Workspace
	// Locale is the language of the Markdown's words: "en" (default) or "fr".
	Locale string
	// Link returns a link to a tip's source message, "" when the platform
	// gives none; nil: no links.
	Link func(t Tip) string
	// Paths are the paths each tip is in (the paths column); a tip not in
	// it is written as in this path only.
	Paths map[TipID][]string
}

// WritePath writes a training path as a handout to w: format "md"
// (Markdown: the path's title as heading, then each tip in order with its
// text, author credited, useful votes, applied count, topics and a link to
// its source message when h gives one), "csv" or "jsonl" (the export
// records of its tips, in the path's order, ExportColumns). tips are the
// path's tips to write, in order (see Bot.PathTips). It returns an error
// for an unknown format before writing anything, and w's first error.
func WritePath(w io.Writer, format string, p Path, tips []Tip, h ...Handout) error {
	var opt Handout
	if len(h) > 0 {
		opt = h[0]
	}
	switch format {
	case "md", "markdown":
		return writePathMarkdown(w, p, tips, opt)
	case "csv", "jsonl", "json":
	default:
		return fmt.Errorf("export: unknown format %q (want %s)", format, strings.Join(PathFormats, ", "))
	}
	write, flush, err := recordWriter(w, format)
	if err != nil {
		return err
	}
	for _, t := range tips {
		r := newExportRecord(opt.Workspace, t)
		r.Paths = []string{p.Name}
		if names, ok := opt.Paths[t.ID]; ok {
			r.Paths = slices.Clone(names)
		}
		if err := write(r); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// handoutText formats the text of key in the locale (English when the
// locale has no texts).
func handoutText(locale, key string, args ...any) string {
	tx, ok := catalog[locale]
	if !ok {
		tx = catalog["en"]
	}
	return fmt.Sprintf(tx[key], args...)
}

func writePathMarkdown(w io.Writer, p Path, tips []Tip, h Handout) error {
	bw := bufio.NewWriter(w)
	loc := h.Locale
	fmt.Fprintf(bw, "# %s\n\n", markdownLine(p.Title))
	if len(tips) == 0 {
		fmt.Fprintf(bw, "%s\n", handoutText(loc, "handout.empty"))
		return bw.Flush()
	}
	var authors []string
	for _, t := range tips {
		if !slices.Contains(authors, t.AuthorName) {
			authors = append(authors, t.AuthorName)
		}
	}
	key := "tips.many"
	if len(tips) == 1 {
		key = "tips.one"
	}
	count := handoutText(loc, key, len(tips))
	fmt.Fprintf(bw, "_%s_\n", handoutText(loc, "handout.tips", count, markdownLine(strings.Join(authors, ", "))))
	for i, t := range tips {
		fmt.Fprintf(bw, "\n## %d. %s\n\n", i+1, markdownLine(snippet(t.Text, 80)))
		for _, line := range strings.Split(strings.TrimSpace(stripBidi(t.Text)), "\n") {
			fmt.Fprintf(bw, "> %s\n", strings.TrimRight(line, " \r\t"))
		}
		fmt.Fprintf(bw, "\n- %s (%s)\n", handoutText(loc, "handout.by", markdownLine(t.AuthorName)), t.ID)
		fmt.Fprintf(bw, "- %s · %s\n", handoutText(loc, "handout.votes", t.UsefulVotes), handoutText(loc, "handout.applied", t.Applied))
		if len(t.Topics) > 0 {
			fmt.Fprintf(bw, "- %s\n", handoutText(loc, "handout.topics", "#"+strings.Join(t.Topics, " #")))
		}
		if h.Link != nil {
			if link := h.Link(t); link != "" {
				fmt.Fprintf(bw, "- [%s](<%s>)\n", handoutText(loc, "handout.link"), strings.NewReplacer("<", "%3C", ">", "%3E").Replace(link))
			}
		}
	}
	return bw.Flush()
}

// markdownLine keeps a text on one line and escapes what Markdown would
// read as markup in a heading or list item.
func markdownLine(s string) string {
	s = strings.Join(strings.Fields(stripBidi(s)), " ")
	s = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", `\<`).Replace(s)
	if strings.HasPrefix(s, "#") {
		s = `\` + s
	}
	return s
}
