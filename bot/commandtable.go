package bot

import (
	"context"
	"slices"
	"strings"
)

// Text is a text in each locale tipbot speaks.
type Text struct{ En, Fr string }

// ParamKind is how a command parameter is typed and written in the text a
// command carries (CommandInvoked.Text).
type ParamKind int

// Parameter kinds.
const (
	ParamString   ParamKind = iota // a word or words, written as typed
	ParamChoice                    // one of Choices
	ParamChannel                   // a channel, written as the platform's ChannelArg reads it
	ParamUser                      // a person, written as the platform's UserArg reads it
	ParamFlag                      // a yes/no: its name is written when yes
	ParamQuoted                    // one argument written in double quotes (cron expressions)
	ParamDuration                  // a duration such as 45m, 2h, 1h30m, 2d
	ParamPath                      // the name of one of the workspace's training paths (Bot.Paths), as typed
)

// Choice is one value a ParamChoice accepts: Value is what is written, Fr
// its French label.
type Choice struct{ Value, Fr string }

// Param is one parameter of a command, in the order the core reads it.
type Param struct {
	Name     string
	Kind     ParamKind
	Required bool
	Before   string // written before the value ("in " for a duration)
	Desc     Text
	Choices  []Choice
}

// Command is one "/tips" sub-command of the table the core reads commands
// with (Commands). Name is "top", or "schedule add" for a sub-command of a
// group (CommandGroups).
type Command struct {
	Name   string
	Role   Role   // who may run it
	Usage  string // i18n key of its usage line, shared by a group's commands
	Desc   Text   // what it does, in a few words
	Params []Param
}

// Group returns the group of a command ("schedule" for "schedule add"), or
// "" for a command in no group.
func (c Command) Group() string {
	g, _, ok := strings.Cut(c.Name, " ")
	if !ok {
		return ""
	}
	return g
}

// Word returns the first word of the command's name: what the core reads
// first in a command's text.
func (c Command) Word() string {
	w, _, _ := strings.Cut(c.Name, " ")
	return w
}

// command is an entry of the table: the command and its handler, which
// receives the arguments after the command's first word.
type command struct {
	Command
	run func(b *Bot, ctx context.Context, e *CommandInvoked, args []string) (Reply, error)
}

var periodChoices = []Choice{{"week", "semaine"}, {"month", "mois"}, {"quarter", "trimestre"}, {"year", "année"}, {"all", "tout"}}

var (
	pPeriod  = Param{Name: "period", Kind: ParamChoice, Desc: Text{"Period (default: month)", "Période (par défaut : mois)"}, Choices: periodChoices}
	pChannel = Param{Name: "channel", Kind: ParamChannel, Desc: Text{"Channel (default: this one)", "Salon (par défaut : celui-ci)"}}
	pTip     = Param{Name: "tip", Kind: ParamString, Required: true, Desc: Text{"Tip id, e.g. t42", "Identifiant de l'astuce, par ex. t42"}}
	pPath    = Param{Name: "name", Kind: ParamPath, Required: true, Desc: Text{"Path name, e.g. git-basics", "Nom du parcours, par ex. git-basics"}}
	pUser    = Param{Name: "user", Kind: ParamUser, Required: true, Desc: Text{"Who", "Qui"}}
)

// commands is the table of "/tips" sub-commands, in the order help shows
// them. A new command is one entry here, its handler and its texts.
var commands []command

func init() {
	commands = []command{
		{Command{Name: "help", Role: RoleMember, Usage: "usage.help",
			Desc: Text{"List the commands you may use", "Lister les commandes que vous pouvez utiliser"}}, (*Bot).cmdHelp},
		{Command{Name: "top", Role: RoleMember, Usage: "usage.top",
			Desc:   Text{"Top contributors and tips of a period", "Meilleurs contributeurs et astuces d'une période"},
			Params: []Param{pPeriod}}, (*Bot).cmdTop},
		{Command{Name: "search", Role: RoleMember, Usage: "usage.search",
			Desc:   Text{"Find tips by words and #topics", "Chercher des astuces par mots et #sujets"},
			Params: []Param{{Name: "words", Kind: ParamString, Required: true, Desc: Text{"Words or #topics", "Mots ou #sujets"}}}}, (*Bot).cmdSearch},
		{Command{Name: "me", Role: RoleMember, Usage: "usage.me",
			Desc: Text{"Your tips, the votes they received and your rank", "Vos astuces, leurs votes et votre rang"}}, (*Bot).cmdMe},
		{Command{Name: "experts", Role: RoleMember, Usage: "usage.experts",
			Desc:   Text{"People whose tips on a topic were found most useful", "Les personnes dont les astuces sur un sujet ont été les plus utiles"},
			Params: []Param{{Name: "topic", Kind: ParamString, Required: true, Desc: Text{"Topic, e.g. git", "Sujet, par ex. git"}}}}, (*Bot).cmdExperts},
		{Command{Name: "forget-me", Role: RoleMember, Usage: "usage.forgetme",
			Desc:   Text{"Erase your data (your tips are deleted)", "Effacer vos données (vos astuces sont supprimées)"},
			Params: []Param{{Name: "confirm", Kind: ParamFlag, Desc: Text{"Yes, erase my data", "Oui, effacer mes données"}}}}, (*Bot).cmdForgetMe},
		{Command{Name: "applied", Role: RoleMember, Usage: "usage.applied",
			Desc:   Text{"Say you put a tip into practice", "Dire que vous avez mis une astuce en pratique"},
			Params: []Param{pTip, {Name: "undo", Kind: ParamFlag, Desc: Text{"Take your mark back", "Retirer votre marque"}}}}, (*Bot).cmdApplied},
		{Command{Name: "show", Role: RoleMember, Usage: "usage.show",
			Desc:   Text{"A tip with its votes, applied count, status and history", "Une astuce avec ses votes, ses mises en pratique, son statut et son historique"},
			Params: []Param{pTip}}, (*Bot).cmdShow},
		{Command{Name: "not-yet", Role: RoleMember, Usage: "usage.notyet",
			Desc:   Text{"Answer a follow-up: not put into practice yet", "Répondre à un suivi : pas encore mise en pratique"},
			Params: []Param{pTip}}, (*Bot).cmdNotYet},
		{Command{Name: "not-for-me", Role: RoleMember, Usage: "usage.notforme",
			Desc:   Text{"Answer a follow-up: this tip is not for you", "Répondre à un suivi : cette astuce n'est pas pour vous"},
			Params: []Param{pTip}}, (*Bot).cmdNotForMe},
		{Command{Name: "quiet", Role: RoleMember, Usage: "usage.quiet",
			Desc:   Text{"Stop (or resume) follow-ups and nudges for you", "Arrêter (ou reprendre) les suivis et invitations pour vous"},
			Params: []Param{{Name: "off", Kind: ParamFlag, Desc: Text{"Resume them", "Les reprendre"}}}}, (*Bot).cmdQuiet},
		{Command{Name: "prompt", Role: RoleTrainer, Usage: "usage.prompt",
			Desc: Text{"Open a session: ask what people retained", "Ouvrir une session : demander ce que chacun a retenu"},
			Params: []Param{
				pChannel,
				{Name: "duration", Kind: ParamDuration, Before: "in ", Desc: Text{"How long it stays open, e.g. 45m, 2h, 1h30m, 2d", "Durée d'ouverture, par ex. 45m, 2h, 1h30m, 2d"}},
				{Name: "title", Kind: ParamString, Required: true, Desc: Text{"What the session was about", "Le sujet de la session"}},
			}}, (*Bot).cmdPrompt},
		{Command{Name: "close", Role: RoleTrainer, Usage: "usage.close",
			Desc:   Text{"Close a session now and post its recap", "Fermer une session et publier son bilan"},
			Params: []Param{{Name: "session", Kind: ParamString, Required: true, Desc: Text{"Session id, e.g. s3", "Identifiant de session, par ex. s3"}}}}, (*Bot).cmdClose},
		{Command{Name: "sessions", Role: RoleTrainer, Usage: "usage.sessions",
			Desc: Text{"Open and recent sessions", "Sessions ouvertes et récentes"}}, (*Bot).cmdSessions},
		{Command{Name: "schedule add", Role: RoleTrainer, Usage: "usage.schedule",
			Desc: Text{"Add a recurring session prompt", "Ajouter une session récurrente"},
			Params: []Param{
				{Name: "cron", Kind: ParamQuoted, Required: true, Desc: Text{"When, e.g. CRON_TZ=Europe/Paris 0 17 * * FRI", "Quand, par ex. CRON_TZ=Europe/Paris 0 17 * * FRI"}},
				pChannel,
				{Name: "title", Kind: ParamString, Required: true, Desc: Text{"What the sessions are about", "Le sujet des sessions"}},
			}}, (*Bot).cmdSchedule},
		{Command{Name: "schedule list", Role: RoleTrainer, Usage: "usage.schedule",
			Desc: Text{"List recurring session prompts", "Lister les sessions récurrentes"}}, (*Bot).cmdSchedule},
		{Command{Name: "schedule remove", Role: RoleTrainer, Usage: "usage.schedule",
			Desc:   Text{"Remove a recurring session prompt", "Supprimer une session récurrente"},
			Params: []Param{{Name: "id", Kind: ParamString, Required: true, Desc: Text{"Schedule id", "Identifiant de la planification"}}}}, (*Bot).cmdSchedule},
		{Command{Name: "report", Role: RoleTrainer, Usage: "usage.report",
			Desc: Text{"Engagement report", "Rapport d'engagement"}, Params: []Param{pPeriod, pChannel}}, (*Bot).cmdReport},
		{Command{Name: "path list", Role: RoleMember, Usage: "usage.path",
			Desc: Text{"The training paths", "Les parcours de formation"}}, (*Bot).cmdPath},
		{Command{Name: "path show", Role: RoleMember, Usage: "usage.path",
			Desc:   Text{"A training path's tips, in order", "Les astuces d'un parcours de formation, dans l'ordre"},
			Params: []Param{pPath}}, (*Bot).cmdPath},
		{Command{Name: "path create", Role: RoleTrainer, Usage: "usage.pathedit",
			Desc: Text{"Create a training path", "Créer un parcours de formation"},
			Params: []Param{
				{Name: "name", Kind: ParamString, Required: true, Desc: Text{"Short name: letters, digits, - or _, e.g. git-basics", "Nom court : lettres, chiffres, - ou _, par ex. git-basics"}},
				{Name: "title", Kind: ParamString, Required: true, Desc: Text{"Its title, e.g. Git basics", "Son titre, par ex. Les bases de Git"}},
			}}, (*Bot).cmdPath},
		{Command{Name: "path add", Role: RoleTrainer, Usage: "usage.pathedit",
			Desc:   Text{"Add tips at the end of a path (features them)", "Ajouter des astuces à la fin d'un parcours (les met en avant)"},
			Params: []Param{pPath, {Name: "tips", Kind: ParamString, Required: true, Desc: Text{"Tip ids in order, e.g. t4 t7", "Identifiants des astuces dans l'ordre, par ex. t4 t7"}}}}, (*Bot).cmdPath},
		{Command{Name: "path remove", Role: RoleTrainer, Usage: "usage.pathedit",
			Desc:   Text{"Remove a tip from a path", "Retirer une astuce d'un parcours"},
			Params: []Param{pPath, pTip}}, (*Bot).cmdPath},
		{Command{Name: "path move", Role: RoleTrainer, Usage: "usage.pathedit",
			Desc: Text{"Move a tip up or down a path", "Monter ou descendre une astuce dans un parcours"},
			Params: []Param{pPath, pTip, {Name: "direction", Kind: ParamChoice, Required: true, Desc: Text{"Up or down", "Vers le haut ou le bas"},
				Choices: []Choice{{"up", "haut"}, {"down", "bas"}}}}}, (*Bot).cmdPath},
		{Command{Name: "path delete", Role: RoleTrainer, Usage: "usage.pathedit",
			Desc: Text{"Delete a training path (its tips stay)", "Supprimer un parcours de formation (ses astuces restent)"}, Params: []Param{pPath}}, (*Bot).cmdPath},
		{Command{Name: "dashboard", Role: RoleTrainer, Usage: "usage.dashboard",
			Desc: Text{"A personal link to the workspace's dashboard", "Un lien personnel vers le tableau de bord de l'espace"}}, (*Bot).cmdDashboard},
		{Command{Name: "pending", Role: RoleTrainer, Usage: "usage.pending",
			Desc: Text{"Tips waiting for approval", "Astuces en attente de validation"}}, (*Bot).cmdPending},
		{Command{Name: "approve", Role: RoleTrainer, Usage: "usage.approve",
			Desc: Text{"Publish a pending tip", "Publier une astuce en attente"}, Params: []Param{pTip}}, (*Bot).cmdApprove},
		{Command{Name: "feature", Role: RoleTrainer, Usage: "usage.feature",
			Desc: Text{"Recommend a tip for training paths", "Recommander une astuce pour les parcours de formation"}, Params: []Param{pTip}}, (*Bot).cmdFeature},
		{Command{Name: "reject", Role: RoleTrainer, Usage: "usage.reject",
			Desc: Text{"Reject a tip (its author is told privately)", "Refuser une astuce (son auteur est prévenu en privé)"}, Params: []Param{pTip}}, (*Bot).cmdReject},
		{Command{Name: "export", Role: RoleAdmin, Usage: "usage.export",
			Desc: Text{"The server's tips as a file, sent privately", "Les astuces du serveur dans un fichier, envoyé en privé"},
			Params: []Param{{Name: "format", Kind: ParamChoice, Desc: Text{"File format (default: csv)", "Format du fichier (par défaut : csv)"},
				Choices: []Choice{{"csv", "csv"}, {"json", "json"}}}}}, (*Bot).cmdExport},
		{Command{Name: "trainer add", Role: RoleAdmin, Usage: "usage.trainer",
			Desc: Text{"Make someone a trainer", "Nommer un formateur"}, Params: []Param{pUser}}, (*Bot).cmdTrainer},
		{Command{Name: "trainer remove", Role: RoleAdmin, Usage: "usage.trainer",
			Desc: Text{"Remove a trainer", "Retirer un formateur"}, Params: []Param{pUser}}, (*Bot).cmdTrainer},
	}
}

// commandGroups describe the groups of commands.
var commandGroups = map[string]Text{
	"schedule": {"Recurring session prompts", "Sessions récurrentes"},
	"path":     {"Training paths", "Parcours de formation"},
	"trainer":  {"Manage trainers", "Gérer les formateurs"},
}

// Commands returns the table of "/tips" sub-commands, in the order help
// shows them: what every adapter registers, documents and reads. The
// caller may change the copy it gets.
func Commands() []Command {
	out := make([]Command, len(commands))
	for i, c := range commands {
		c.Params = slices.Clone(c.Params)
		for j := range c.Params {
			c.Params[j].Choices = slices.Clone(c.Params[j].Choices)
		}
		out[i] = c.Command
	}
	return out
}

// CommandGroups returns the description of each group of commands
// ("schedule" for "schedule add", "schedule list", …).
func CommandGroups() map[string]Text {
	out := make(map[string]Text, len(commandGroups))
	for g, d := range commandGroups {
		out[g] = d
	}
	return out
}

// lookupCommand returns the entry a command's arguments name: the group's
// sub-command when the second argument names one ("path add"), else the
// first entry whose first word is the first argument (lower-case).
func lookupCommand(args []string) (command, bool) {
	if len(args) > 1 {
		name := strings.ToLower(args[0] + " " + args[1])
		if i := slices.IndexFunc(commands, func(c command) bool { return c.Name == name }); i >= 0 {
			return commands[i], true
		}
	}
	word := strings.ToLower(args[0])
	i := slices.IndexFunc(commands, func(c command) bool { return c.Word() == word })
	if i < 0 {
		return command{}, false
	}
	return commands[i], true
}
