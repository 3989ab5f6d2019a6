package discord

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// The application commands tipbot registers. SPEC's "/tips <sub> <args>"
// text becomes Discord sub-commands with typed options; an interaction is
// turned back into that text, so the core parses Discord and Slack alike.
//
// Discord can hide a command from members only as a whole, with
// default_member_permissions; sub-commands cannot be hidden one by one. So
// the admin sub-commands (export, trainer) live in a separate command,
// /tips-admin, that only members with Manage Server see (a server admin can
// open it to other roles or people under Server Settings → Integrations).
// The core refuses them to non-admins anyway. Trainer sub-commands stay in
// /tips: being a trainer is a tipbot role Discord knows nothing of.
const (
	cmdTip       = "tip"
	cmdTips      = "tips"
	cmdTipsAdmin = "tips-admin"
	cmdSaveAsTip = "Save as tip"
)

// optKind is how an option is typed in Discord and written in the text.
type optKind int

const (
	optString  optKind = iota // written as typed
	optChoice                 // a string among choices
	optChannel                // written <#id>
	optUser                   // written <@id>
	optFlag                   // a boolean: its name is written when true
	optQuoted                 // written "value" (cron expressions)
)

type choice struct{ value, fr string }

// param is one option of a sub-command, in the order the core reads it.
type param struct {
	name     string
	kind     optKind
	required bool
	before   string // written before the value ("in " for a duration)
	en, fr   string // descriptions
	choices  []choice
}

// subCommand is one sub-command: path is "top" or "schedule add".
type subCommand struct {
	path   string
	en, fr string
	params []param
}

var periodChoices = []choice{{"week", "semaine"}, {"month", "mois"}, {"quarter", "trimestre"}, {"year", "année"}, {"all", "tout"}}

var (
	pPeriod  = param{name: "period", kind: optChoice, en: "Period (default: month)", fr: "Période (par défaut : mois)", choices: periodChoices}
	pChannel = param{name: "channel", kind: optChannel, en: "Channel (default: this one)", fr: "Salon (par défaut : celui-ci)"}
	pTip     = param{name: "tip", kind: optString, required: true, en: "Tip id, e.g. t42", fr: "Identifiant de l'astuce, par ex. t42"}
)

// tipsSubs mirrors SPEC's command table for /tips.
var tipsSubs = []subCommand{
	{path: "help", en: "List the commands you may use", fr: "Lister les commandes que vous pouvez utiliser"},
	{path: "top", en: "Top contributors and tips of a period", fr: "Meilleurs contributeurs et astuces d'une période",
		params: []param{pPeriod}},
	{path: "search", en: "Find tips by words and #topics", fr: "Chercher des astuces par mots et #sujets",
		params: []param{{name: "words", kind: optString, required: true, en: "Words or #topics", fr: "Mots ou #sujets"}}},
	{path: "me", en: "Your tips, the votes they received and your rank", fr: "Vos astuces, leurs votes et votre rang"},
	{path: "experts", en: "People whose tips on a topic were found most useful", fr: "Les personnes dont les astuces sur un sujet ont été les plus utiles",
		params: []param{{name: "topic", kind: optString, required: true, en: "Topic, e.g. git", fr: "Sujet, par ex. git"}}},
	{path: "forget-me", en: "Erase your data (your tips are deleted)", fr: "Effacer vos données (vos astuces sont supprimées)",
		params: []param{{name: "confirm", kind: optFlag, en: "Yes, erase my data", fr: "Oui, effacer mes données"}}},
	// the learning loop (issue 12)
	{path: "applied", en: "Say you put a tip into practice", fr: "Dire que vous avez mis une astuce en pratique",
		params: []param{pTip, {name: "undo", kind: optFlag, en: "Take your mark back", fr: "Retirer votre marque"}}},
	{path: "show", en: "A tip with its votes, applied count, status and history", fr: "Une astuce avec ses votes, ses mises en pratique, son statut et son historique",
		params: []param{pTip}},
	{path: "not-yet", en: "Answer a follow-up: not put into practice yet", fr: "Répondre à un suivi : pas encore mise en pratique", params: []param{pTip}},
	{path: "not-for-me", en: "Answer a follow-up: this tip is not for you", fr: "Répondre à un suivi : cette astuce n'est pas pour vous", params: []param{pTip}},
	{path: "quiet", en: "Stop (or resume) follow-ups and nudges for you", fr: "Arrêter (ou reprendre) les suivis et invitations pour vous",
		params: []param{{name: "off", kind: optFlag, en: "Resume them", fr: "Les reprendre"}}},
	{path: "prompt", en: "Open a session: ask what people retained", fr: "Ouvrir une session : demander ce que chacun a retenu",
		params: []param{
			pChannel,
			{name: "duration", kind: optString, before: "in ", en: "How long it stays open, e.g. 45m, 2h, 1h30m, 2d", fr: "Durée d'ouverture, par ex. 45m, 2h, 1h30m, 2d"},
			{name: "title", kind: optString, required: true, en: "What the session was about", fr: "Le sujet de la session"},
		}},
	{path: "close", en: "Close a session now and post its recap", fr: "Fermer une session et publier son bilan",
		params: []param{{name: "session", kind: optString, required: true, en: "Session id, e.g. s3", fr: "Identifiant de session, par ex. s3"}}},
	{path: "sessions", en: "Open and recent sessions", fr: "Sessions ouvertes et récentes"},
	{path: "schedule add", en: "Add a recurring session prompt", fr: "Ajouter une session récurrente",
		params: []param{
			{name: "cron", kind: optQuoted, required: true, en: "When, e.g. CRON_TZ=Europe/Paris 0 17 * * FRI", fr: "Quand, par ex. CRON_TZ=Europe/Paris 0 17 * * FRI"},
			pChannel,
			{name: "title", kind: optString, required: true, en: "What the sessions are about", fr: "Le sujet des sessions"},
		}},
	{path: "schedule list", en: "List recurring session prompts", fr: "Lister les sessions récurrentes"},
	{path: "schedule remove", en: "Remove a recurring session prompt", fr: "Supprimer une session récurrente",
		params: []param{{name: "id", kind: optString, required: true, en: "Schedule id", fr: "Identifiant de la planification"}}},
	{path: "report", en: "Engagement report", fr: "Rapport d'engagement", params: []param{pPeriod, pChannel}},
	{path: "pending", en: "Tips waiting for approval", fr: "Astuces en attente de validation"},
	{path: "approve", en: "Publish a pending tip", fr: "Publier une astuce en attente", params: []param{pTip}},
	{path: "feature", en: "Recommend a tip for training paths", fr: "Recommander une astuce pour les parcours de formation", params: []param{pTip}},
	{path: "reject", en: "Reject a tip (its author is told privately)", fr: "Refuser une astuce (son auteur est prévenu en privé)", params: []param{pTip}},
}

// adminSubs are the admin-only sub-commands, under /tips-admin.
var adminSubs = []subCommand{
	{path: "export", en: "The server's tips as a file, sent privately", fr: "Les astuces du serveur dans un fichier, envoyé en privé",
		params: []param{{name: "format", kind: optChoice, en: "File format (default: csv)", fr: "Format du fichier (par défaut : csv)",
			choices: []choice{{"csv", "csv"}, {"json", "json"}}}}},
	{path: "trainer add", en: "Make someone a trainer", fr: "Nommer un formateur",
		params: []param{{name: "user", kind: optUser, required: true, en: "Who", fr: "Qui"}}},
	{path: "trainer remove", en: "Remove a trainer", fr: "Retirer un formateur",
		params: []param{{name: "user", kind: optUser, required: true, en: "Who", fr: "Qui"}}},
}

// groupDescriptions describe the sub-command groups.
var groupDescriptions = map[string][2]string{
	"schedule": {"Recurring session prompts", "Sessions récurrentes"},
	"trainer":  {"Manage trainers", "Gérer les formateurs"},
}

func fr(s string) map[discordgo.Locale]string {
	return map[discordgo.Locale]string{discordgo.French: s}
}

func frPtr(s string) *map[discordgo.Locale]string { m := fr(s); return &m }

// applicationCommands returns what tipbot registers (bulk overwrite) in
// each guild of discord.guild_ids, or globally.
func applicationCommands() []*discordgo.ApplicationCommand {
	guildOnly := []discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	manageServer := int64(discordgo.PermissionManageGuild)
	base := func(c *discordgo.ApplicationCommand) *discordgo.ApplicationCommand {
		c.Contexts = &guildOnly
		return c
	}
	return []*discordgo.ApplicationCommand{
		base(&discordgo.ApplicationCommand{
			Type: discordgo.ChatApplicationCommand, Name: cmdTip,
			Description: "Share a tip with your colleagues", DescriptionLocalizations: frPtr("Partager une astuce avec vos collègues"),
			Options: []*discordgo.ApplicationCommandOption{{
				Type: discordgo.ApplicationCommandOptionString, Name: "text", Required: true,
				Description: "The tip (#topics welcome)", DescriptionLocalizations: fr("L'astuce (#sujets bienvenus)"),
			}},
		}),
		base(&discordgo.ApplicationCommand{
			Type: discordgo.ChatApplicationCommand, Name: cmdTips,
			Description: "Tips: leaderboard, search, sessions, reports", DescriptionLocalizations: frPtr("Astuces : classement, recherche, sessions, rapports"),
			Options: subOptions(tipsSubs),
		}),
		base(&discordgo.ApplicationCommand{
			Type: discordgo.ChatApplicationCommand, Name: cmdTipsAdmin,
			Description: "Tips administration: export, trainers", DescriptionLocalizations: frPtr("Administration des astuces : export, formateurs"),
			DefaultMemberPermissions: &manageServer,
			Options:                  subOptions(adminSubs),
		}),
		base(&discordgo.ApplicationCommand{
			Type: discordgo.MessageApplicationCommand, Name: cmdSaveAsTip,
			NameLocalizations: frPtr("Enregistrer comme astuce"),
		}),
	}
}

// subOptions builds the sub-command (and group) options of a command.
func subOptions(subs []subCommand) []*discordgo.ApplicationCommandOption {
	var out []*discordgo.ApplicationCommandOption
	groups := map[string]*discordgo.ApplicationCommandOption{}
	for _, s := range subs {
		group, name, grouped := strings.Cut(s.path, " ")
		opt := &discordgo.ApplicationCommandOption{
			Type: discordgo.ApplicationCommandOptionSubCommand, Name: s.path,
			Description: s.en, DescriptionLocalizations: fr(s.fr),
			Options: paramOptions(s.params),
		}
		if !grouped {
			out = append(out, opt)
			continue
		}
		opt.Name = name
		g, ok := groups[group]
		if !ok {
			d := groupDescriptions[group]
			g = &discordgo.ApplicationCommandOption{
				Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: group,
				Description: d[0], DescriptionLocalizations: fr(d[1]),
			}
			groups[group] = g
			out = append(out, g)
		}
		g.Options = append(g.Options, opt)
	}
	return out
}

// paramOptions types a sub-command's parameters; Discord wants required
// options first.
func paramOptions(ps []param) []*discordgo.ApplicationCommandOption {
	sorted := slices.Clone(ps)
	slices.SortStableFunc(sorted, func(a, b param) int {
		return cmp.Compare(boolInt(!a.required), boolInt(!b.required))
	})
	var out []*discordgo.ApplicationCommandOption
	for _, p := range sorted {
		o := &discordgo.ApplicationCommandOption{Name: p.name, Required: p.required, Description: p.en, DescriptionLocalizations: fr(p.fr)}
		switch p.kind {
		case optString, optQuoted:
			o.Type = discordgo.ApplicationCommandOptionString
		case optChoice:
			o.Type = discordgo.ApplicationCommandOptionString
			for _, c := range p.choices {
				o.Choices = append(o.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c.value, NameLocalizations: fr(c.fr), Value: c.value})
			}
		case optChannel:
			o.Type = discordgo.ApplicationCommandOptionChannel
			o.ChannelTypes = []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews}
		case optUser:
			o.Type = discordgo.ApplicationCommandOptionUser
		case optFlag:
			o.Type = discordgo.ApplicationCommandOptionBoolean
		}
		out = append(out, o)
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// commandText turns a /tips or /tips-admin interaction's options into the
// text the core parses, e.g. `prompt <#123> in 2h Git basics` or
// `trainer add <@456>`. It fails on a sub-command tipbot does not know.
func commandText(command string, opts []*discordgo.ApplicationCommandInteractionDataOption) (string, error) {
	subs := tipsSubs
	if command == cmdTipsAdmin {
		subs = adminSubs
	}
	if len(opts) == 0 || opts[0] == nil {
		return "", fmt.Errorf("no sub-command")
	}
	path, values := opts[0].Name, opts[0].Options
	if opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup {
		if len(values) == 0 || values[0] == nil {
			return "", fmt.Errorf("sub-command group %q without sub-command", path)
		}
		path, values = path+" "+values[0].Name, values[0].Options
	}
	i := slices.IndexFunc(subs, func(s subCommand) bool { return s.path == path })
	if i < 0 {
		return "", fmt.Errorf("unknown sub-command %q", path)
	}
	given := map[string]*discordgo.ApplicationCommandInteractionDataOption{}
	for _, v := range values {
		if v != nil {
			given[v.Name] = v
		}
	}
	words := []string{path}
	for _, p := range subs[i].params {
		v, ok := given[p.name]
		if !ok {
			continue
		}
		if w := paramText(p, v); w != "" {
			words = append(words, w)
		}
	}
	return strings.Join(words, " "), nil
}

// paramText writes one option's value as the core reads it.
func paramText(p param, v *discordgo.ApplicationCommandInteractionDataOption) string {
	switch p.kind {
	case optFlag:
		if b, ok := v.Value.(bool); ok && b {
			return p.name
		}
		return ""
	case optChannel:
		if s := idValue(v.Value); s != "" {
			return "<#" + s + ">"
		}
		return ""
	case optUser:
		if s := idValue(v.Value); s != "" {
			return "<@" + s + ">"
		}
		return ""
	}
	s, _ := v.Value.(string)
	if p.kind == optQuoted {
		// One argument whatever it holds: a quote inside would end it.
		s = strings.NewReplacer(`"`, " ", "“", " ", "”", " ").Replace(s)
	}
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return ""
	}
	if p.kind == optQuoted {
		s = `"` + s + `"`
	}
	return p.before + s
}

// idValue reads a snowflake option value, which Discord sends as a string.
func idValue(v any) string {
	s, _ := v.(string)
	for _, r := range s {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return s
}
