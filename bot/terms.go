package bot

import (
	"strings"
	"unicode"
)

// maxTerms bounds the search terms indexed per tip, so huge texts cannot
// bloat the index.
const maxTerms = 64

// stopWords are frequent English and French words not worth indexing.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an and are as at be by for from has have how i in is it its of on or that the
		this to was we were what when where which who will with you your use can do does not no yes
		au aux avec ce ces dans de des du elle en est et il ils je la le les leur lui ma mais me mes
		mon ne nous on ou par pas pour qu que qui sa se ses son sur ta te tes ton tu un une vos votre vous
		y a à été être fait faire sont tip astuce`) {
		stopWords[w] = true
	}
}

// Topics returns the hashtags of a text, lower-cased, without '#', in order
// of first appearance, without duplicates. Capture hashtags given in ignore
// (e.g. "#tip") are not topics. A '#' right after '<' or '&' is platform
// markup or an entity (a channel reference), not a hashtag.
func Topics(text string, ignore []string) []string {
	var topics []string
	seen := map[string]bool{}
	for _, ig := range ignore {
		seen[strings.TrimPrefix(strings.ToLower(ig), "#")] = true
	}
	runes := []rune(text)
	for i := 0; i < len(runes); i++ {
		if runes[i] != '#' {
			continue
		}
		if i > 0 && (isWordRune(runes[i-1]) || runes[i-1] == '<' || runes[i-1] == '&') {
			continue
		}
		j := i + 1
		for j < len(runes) && (isWordRune(runes[j]) || runes[j] == '-' || runes[j] == '_') {
			j++
		}
		if j == i+1 {
			continue
		}
		topic := strings.ToLower(strings.Trim(string(runes[i+1:j]), "-_"))
		if topic == "" || len(topic) > 64 || seen[topic] || onlyDigits(topic) {
			i = j - 1
			continue
		}
		seen[topic] = true
		topics = append(topics, topic)
		i = j - 1
	}
	return topics
}

// SearchTerms returns the terms a tip is indexed under: its words (lower
// case, accents folded, stop words and one-letter words dropped), its
// hashtags both as words and as "#topic", and its topics as "#topic". The
// order is that of first appearance; there are at most 64.
func SearchTerms(t Tip) []string {
	out := terms(t.Text, true)
	seen := make(map[string]bool, len(out)+len(t.Topics))
	for _, w := range out {
		seen[w] = true
	}
	for _, topic := range t.Topics {
		w := "#" + topic
		if !seen[w] && len(out) < maxTerms {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// QueryTerms splits a search query into terms: words are folded as
// SearchTerms does; "#word" stays a topic term, matching only tips with
// that topic.
func QueryTerms(text string) []string { return terms(text, false) }

// terms splits text into search terms; with hashtagWords a hashtag yields
// its plain word too.
func terms(text string, hashtagWords bool) []string {
	var out []string
	seen := map[string]bool{}
	add := func(w string) bool {
		if len([]rune(w)) < 2 || len(w) > 64 || stopWords[w] || seen[w] {
			return false
		}
		seen[w] = true
		out = append(out, w)
		return len(out) == maxTerms
	}
	for _, raw := range strings.FieldsFunc(text, func(r rune) bool {
		return !isWordRune(r) && r != '#' && r != '-' && r != '_'
	}) {
		topic := strings.HasPrefix(raw, "#")
		for _, part := range strings.FieldsFunc(raw, func(r rune) bool { return r == '#' || (!topic && (r == '-' || r == '_')) }) {
			part = strings.Trim(part, "-_")
			if topic {
				if add("#"+strings.ToLower(part)) || (hashtagWords && add(fold(part))) {
					return out
				}
				topic = false
				continue
			}
			if add(fold(part)) {
				return out
			}
		}
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func onlyDigits(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// fold lower-cases a word and removes the accents of Latin letters, so
// "Élément" and "element" match.
func fold(w string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(w) {
		if base, ok := accentBase[r]; ok {
			b.WriteString(base)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

var accentBase = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae",
	'ç': "c", 'è': "e", 'é': "e", 'ê': "e", 'ë': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ñ': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'œ': "oe",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y", 'ÿ': "y", 'ß': "ss",
}
