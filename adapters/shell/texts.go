package shell

// texts holds every line the shell itself prints, in one language. The
// bot's own messages come from the core, already translated.
type texts struct {
	help        string // the /help answer, several lines
	banner      string // printed once when the shell runs on a terminal
	now         string // %s user, %s channel
	usageAs     string // %s current user
	usageIn     string // %s current channel
	usageReply  string
	usageReact  string
	usageUnrect string
	usageEdit   string
	usageDelete string
	usageSave   string
	badName     string // %s name
	botName     string // %s the bot's name
	badChannel  string // %s channel
	usagePriv   string
	madePrivate string // %s channel
	badEmoji    string // %s emoji
	noMessage   string // %s id
	already     string // %s user, %s emoji, %s id
	notReacted  string // %s user, %s emoji, %s id
	notAuthor   string // %s id
	notAllowed  string // %s id
	unknown     string // %s command
	tooLong     string // %d limit
	failed      string // %v error
	storeFailed string // %v error
	reacted     string // %s user, %s emoji
	unreacted   string // %s user, %s emoji
	edited      string // marker after the author's name
	deleted     string // %s user
	replyTo     string // %s parent id
	private     string // %s user
	file        string // %s name, %d size
	binary      string // what replaces a binary file's content
	usageAdv    string
	noClock     string
	advanced    string // %s the clock's new time
}

// catalog maps a locale to the shell's texts.
var catalog = map[string]*texts{"en": &english, "fr": &french}

var english = texts{
	help: `Shell commands:
  TEXT                  post TEXT as the current user in the current channel
  /as NAME              speak as NAME
  /in #CHANNEL          go to #CHANNEL
  /private #CHANNEL     make #CHANNEL private: its tips show only there
  /reply ID TEXT        reply in the thread of message ID
  /react ID EMOJI       add a reaction (bulb, +1, star, bookmark, or :bulb:)
  /unreact ID EMOJI     remove your reaction
  /edit ID TEXT         change your message ID
  /delete ID            delete message ID
  /save ID              "Save as tip" on message ID
  /tip TEXT, /tips ...  talk to the bot (/tips help lists its commands)
  /advance DURATION     move the clock forward, e.g. 7d (only with TIPBOT_FAKE_NOW)
  /help                 this list
  /quit                 leave`,
	banner:      "tipbot shell: you are %s in %s. Type /help for the commands, /quit to leave.",
	now:         "(you are %s in %s)",
	usageAs:     "usage: /as NAME (you are %s)",
	usageIn:     "usage: /in #CHANNEL (you are in %s)",
	usageReply:  "usage: /reply ID TEXT",
	usageReact:  "usage: /react ID EMOJI, e.g. /react 3 bulb",
	usageUnrect: "usage: /unreact ID EMOJI, e.g. /unreact 3 bulb",
	usageEdit:   "usage: /edit ID TEXT",
	usageDelete: "usage: /delete ID",
	usageSave:   "usage: /save ID",
	usagePriv:   "usage: /private #CHANNEL",
	madePrivate: "%s is now private: its tips show only in it (and to their author in /tips me)",
	badName:     "%q is not a user name: use letters, digits, '.', '-' or '_'",
	botName:     "%s is the bot's name: pick another one",
	badChannel:  "%q is not a channel name: use #letters-digits",
	badEmoji:    "%q is not an emoji name: try bulb, +1, star or bookmark",
	noMessage:   "there is no message [%s]",
	already:     "%s already reacted :%s: to [%s]",
	notReacted:  "%s has no :%s: reaction on [%s]",
	notAuthor:   "only the author can edit [%s]",
	notAllowed:  "only the author or an admin can delete [%s]",
	unknown:     "unknown command /%s: /help lists the shell's commands, /tips help the bot's",
	tooLong:     "line too long (at most %d bytes): ignored",
	failed:      "the bot could not handle that: %v",
	storeFailed: "the shell could not record that: %v",
	reacted:     "%s reacted :%s:",
	unreacted:   "%s removed :%s:",
	edited:      " (edited)",
	deleted:     "deleted by %s",
	replyTo:     " (reply to [%s])",
	private:     "(private to %s)",
	file:        "file %s (%d bytes)",
	binary:      "(binary content not shown)",
	usageAdv:    "usage: /advance DURATION, e.g. /advance 7d or /advance 36h",
	noClock:     "/advance moves only a test clock: start tipbot with TIPBOT_FAKE_NOW set to an RFC 3339 time, e.g. TIPBOT_FAKE_NOW=2026-11-27T16:00:00Z",
	advanced:    "(the clock is now %s)",
}

var french = texts{
	help: `Commandes du shell :
  TEXTE                 publie TEXTE au nom de l'utilisateur courant dans le canal courant
  /as NOM               parler en tant que NOM
  /in #CANAL            aller dans #CANAL
  /private #CANAL       rendre #CANAL privé : ses astuces ne se montrent que là
  /reply ID TEXTE       répondre dans le fil du message ID
  /react ID EMOJI       ajouter une réaction (bulb, +1, star, bookmark, ou :bulb:)
  /unreact ID EMOJI     retirer votre réaction
  /edit ID TEXTE        modifier votre message ID
  /delete ID            supprimer le message ID
  /save ID              « Enregistrer comme astuce » sur le message ID
  /tip TEXTE, /tips ... parler au bot (/tips help liste ses commandes)
  /advance DURÉE        avancer l'horloge, par ex. 7d (seulement avec TIPBOT_FAKE_NOW)
  /help                 cette liste
  /quit                 quitter`,
	banner:      "shell tipbot : vous êtes %s dans %s. Tapez /help pour les commandes, /quit pour quitter.",
	now:         "(vous êtes %s dans %s)",
	usageAs:     "usage : /as NOM (vous êtes %s)",
	usageIn:     "usage : /in #CANAL (vous êtes dans %s)",
	usageReply:  "usage : /reply ID TEXTE",
	usageReact:  "usage : /react ID EMOJI, par ex. /react 3 bulb",
	usageUnrect: "usage : /unreact ID EMOJI, par ex. /unreact 3 bulb",
	usageEdit:   "usage : /edit ID TEXTE",
	usageDelete: "usage : /delete ID",
	usageSave:   "usage : /save ID",
	usagePriv:   "usage : /private #CANAL",
	madePrivate: "%s est désormais privé : ses astuces ne se montrent que là (et à leur auteur dans /tips me)",
	badName:     "%q n'est pas un nom d'utilisateur : lettres, chiffres, '.', '-' ou '_'",
	botName:     "%s est le nom du bot : choisissez-en un autre",
	badChannel:  "%q n'est pas un nom de canal : #lettres-chiffres",
	badEmoji:    "%q n'est pas un nom d'emoji : essayez bulb, +1, star ou bookmark",
	noMessage:   "il n'y a pas de message [%s]",
	already:     "%s a déjà réagi :%s: à [%s]",
	notReacted:  "%s n'a pas de réaction :%s: sur [%s]",
	notAuthor:   "seul l'auteur peut modifier [%s]",
	notAllowed:  "seul l'auteur ou un admin peut supprimer [%s]",
	unknown:     "commande inconnue /%s : /help liste les commandes du shell, /tips help celles du bot",
	tooLong:     "ligne trop longue (%d octets au plus) : ignorée",
	failed:      "le bot n'a pas pu traiter cela : %v",
	storeFailed: "le shell n'a pas pu enregistrer cela : %v",
	reacted:     "%s a réagi :%s:",
	unreacted:   "%s a retiré :%s:",
	edited:      " (modifié)",
	deleted:     "supprimé par %s",
	replyTo:     " (réponse à [%s])",
	private:     "(privé pour %s)",
	file:        "fichier %s (%d octets)",
	binary:      "(contenu binaire non affiché)",
	usageAdv:    "usage : /advance DURÉE, par ex. /advance 7d ou /advance 36h",
	noClock:     "/advance ne déplace qu'une horloge de test : lancez tipbot avec TIPBOT_FAKE_NOW réglé sur une heure RFC 3339, par ex. TIPBOT_FAKE_NOW=2026-11-27T16:00:00Z",
	advanced:    "(il est maintenant %s)",
}
