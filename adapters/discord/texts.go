package discord

import "strings"

// texts are the few messages the adapter itself writes; everything else
// users read comes from the core. They follow the Discord client's locale
// of the person who used a command.
type texts struct {
	failed    string // the core failed: nothing was saved
	done      string // the core had nothing to say
	guildOnly string // a command used outside a server
	tooLarge  string // an attachment over Discord's upload limit
	unknown   string // an interaction tipbot does not know
	noContent string // to admins: the Message Content intent is missing
}

var textsEN = texts{
	failed:    "Sorry, something went wrong and nothing was saved. Please try again in a moment.",
	done:      "Done.",
	guildOnly: "tipbot works in servers only: use its commands in a channel of your server.",
	tooLarge:  "The file is larger than Discord accepts; ask an admin to run `tipbot export` on the server instead.",
	unknown:   "This command is not known (any more). Type /tips help to see the commands.",
	noContent: "⚠️ For admins: this Discord application does not have the Message Content intent, so `tip:` prefixes, " +
		"#tip hashtags and 🔖 on ordinary messages capture nothing. /tip, Save as tip, votes and replies that mention " +
		"the bot still work. Turn on Message Content Intent in the Developer Portal (Bot → Privileged Gateway Intents) and restart tipbot.",
}

var textsFR = texts{
	failed:    "Désolé, une erreur s'est produite et rien n'a été enregistré. Réessayez dans un instant.",
	done:      "C'est fait.",
	guildOnly: "tipbot ne fonctionne que dans les serveurs : utilisez ses commandes dans un salon de votre serveur.",
	tooLarge:  "Le fichier dépasse la taille acceptée par Discord ; demandez à un admin de lancer `tipbot export` sur le serveur.",
	unknown:   "Cette commande n'est pas (plus) connue. Tapez /tips help pour voir les commandes.",
	noContent: "⚠️ Pour les admins : cette application Discord n'a pas l'intent Message Content, donc les préfixes `astuce :`/`tip:`, " +
		"les hashtags #tip et 🔖 sur les messages ordinaires ne capturent rien. /tip, Enregistrer comme astuce, les votes et les réponses " +
		"qui mentionnent le bot fonctionnent toujours. Activez Message Content Intent dans le Developer Portal (Bot → Privileged Gateway Intents) " +
		"puis redémarrez tipbot.",
}

// textsFor returns the texts for a Discord locale ("fr", "en-US"...).
func textsFor(locale string) texts {
	if strings.HasPrefix(strings.ToLower(locale), "fr") {
		return textsFR
	}
	return textsEN
}
