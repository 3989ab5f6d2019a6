package bot

import (
	"fmt"
	"strconv"
	"strings"
)

// texts holds every message users read, in one language, as fmt formats.
type texts map[string]string

// t formats the text of key in the bot's locale. A missing key (a bug the
// tests catch) falls back to English, then to the key itself.
func (b *Bot) t(key string, args ...any) string {
	format, ok := b.texts[key]
	if !ok {
		if format, ok = catalog["en"][key]; !ok {
			return key
		}
	}
	return fmt.Sprintf(format, args...)
}

// refMark brackets the index of a reference while tp formats a text.
const refMark = "\x00"

// tp formats the text of key as t does, with references (Part arguments:
// people, channels) kept as parts for the adapter to write.
func (b *Bot) tp(key string, args ...any) []Part {
	var refs []Part
	for i, a := range args {
		switch v := a.(type) {
		case Part:
			if v.Mention == "" && v.Channel == "" {
				args[i] = v.Text
				continue
			}
			args[i] = refMark + strconv.Itoa(len(refs)) + refMark
			refs = append(refs, v)
		case string:
			args[i] = strings.ReplaceAll(v, refMark, "")
		}
	}
	text := b.t(key, args...)
	if refs == nil {
		return []Part{{Text: text}}
	}
	var parts []Part
	for i, piece := range strings.Split(text, refMark) {
		if i%2 == 0 {
			if piece != "" {
				parts = append(parts, Part{Text: piece})
			}
			continue
		}
		n, err := strconv.Atoi(piece)
		if err != nil || n < 0 || n >= len(refs) {
			parts = append(parts, Part{Text: piece})
			continue
		}
		parts = append(parts, refs[n])
	}
	return parts
}

// plural formats a count with the noun of key ("tips", "votes", ...): the
// key's ".one" form for 0 and 1 in French, 1 in English; ".many" otherwise.
func (b *Bot) plural(key string, n int64) string {
	one := n == 1 || (n == 0 && b.cfg.Locale == "fr")
	if one {
		return b.t(key+".one", n)
	}
	return b.t(key+".many", n)
}

// catalog maps a locale to its texts. Both locales have exactly the same
// keys and the same verbs in each format (tested).
var catalog = map[string]texts{
	"en": {
		"tip.retried":            "Already recorded as %s: you shared the same tip a moment ago.",
		"capture.private.dm":     "Nothing is saved from direct messages: what is said there stays between the people in them. Ask the author to share it in a channel.",
		"capture.private.member": "tipbot is not a member of this conversation, so nothing is saved from it. Add tipbot to the channel first (Slack: /invite @tipbot).",
		"outbox.tip.refused":     "Your tip «%s» could not be posted in %s: tipbot is not a member of that channel, or the channel is archived or gone, so the tip was not recorded. Add tipbot to the channel (Slack: /invite @tipbot) and share it again.",
		"outbox.refused.prompt":  "The prompt of session %s could not be posted in %s: tipbot is not a member of that channel, or the channel is archived or gone. Add tipbot to the channel and open the session again.",
		"outbox.refused.recap":   "The recap of session %s could not be posted in %s: tipbot is not a member of that channel, or the channel is archived or gone.",
		"report.outbox":          "Outbox: %d messages waiting to be sent · %d refused by the platform (see the log)",
		"capture.slowdown":       "Slow down a little: at most %d tips a minute per person. This one was not recorded; share it again in a minute.",
		"tips.one":               "%d tip",
		"tips.many":              "%d tips",
		"votes.one":              "%d useful vote",
		"votes.many":             "%d useful votes",

		"period.week":    "this week",
		"period.month":   "this month",
		"period.quarter": "this quarter",
		"period.year":    "this year",
		"period.all":     "all time",

		"status.published": "published",
		"status.pending":   "pending approval",
		"status.featured":  "featured",
		"status.rejected":  "rejected",

		"usage.prefix":         "Usage:",
		"usage.unknown":        "Unknown command %q. Try /tips help.",
		"usage.unknownsub":     "Unknown sub-command %q. Try /tips help.",
		"usage.tip":            "/tip <text> — share a tip with the channel",
		"usage.help":           "/tips help — the commands you may use",
		"usage.top":            "/tips top [week|month|quarter|year|all] — top contributors and tips (default month)",
		"usage.search":         "/tips search <words or #topics> — find tips, most useful first",
		"usage.me":             "/tips me — your tips, the votes they received and your rank",
		"usage.experts":        "/tips experts <topic> — who shared the most useful tips on a topic",
		"usage.forgetme":       "/tips forget-me [confirm] — erase your tips and unlink your votes",
		"role.refused.trainer": "Only trainers and admins may run %s. Ask an admin to add you with /tips trainer add.",
		"role.refused.admin":   "Only admins may run %s (workspace admins and those listed in roles.admins).",

		"help.title":   "tipbot commands",
		"help.capture": "Capture a tip: start a message with %s, or add %s anywhere; react with :%s: to save anyone's message; vote with %s.",

		"tip.recorded": "Thanks! Your tip %s is recorded.",
		"tip.pending":  "Thanks! Your tip %s is recorded and waits for a trainer's approval.",
		"tip.post":     "💡 Tip from %s: %s (%s)",
		"tip.line":     "%s «%s» — %s · %s",
		"tip.featured": "⭐ featured",

		"save.cannot":  "This message cannot be saved as a tip (it is empty or was posted by a bot).",
		"save.already": "This message is already tip %s.",
		"save.done":    "Saved as tip %s, credited to %s.",

		"hof.title":  "🏆 Hall of fame",
		"hof.line":   "«%s» — shared by %s · useful votes: %d",
		"hof.footer": "Tip %s. Thank you for sharing!",
		"hof.thanks": "🎉 Your tip joins the hall of fame (useful votes: %d): «%s». Thank you for sharing!",

		"top.title":        "🏆 Leaderboard — %s",
		"top.empty":        "No tips yet for this period. Share one with /tip, or start a message with tip:",
		"top.contributors": "Top contributors:",
		"top.contributor":  "%d. %s — %s, %s",
		"top.tips":         "Top tips:",

		"search.title": "🔎 Tips matching “%s”",
		"search.none":  "No tip matches. Try other words or a #topic.",

		"me.title":   "Your tips",
		"me.none":    "You have not shared a tip yet. Start a message with tip: or use /tip.",
		"me.summary": "You shared %s and received %s.",
		"me.applied": "Your tips were put into practice %s.",
		"times.one":  "%d time",
		"times.many": "%d times",

		"usage.applied":     "/tips applied <tip> [undo] — say you put a tip into practice (undo takes it back)",
		"applied.one":       "applied by %d person",
		"applied.many":      "applied by %d people",
		"applied.done":      "Noted: you applied %s (%s).",
		"applied.undone":    "Your applied mark on %s is taken back (%s).",
		"applied.notmarked": "You had not marked %s applied.",
		"applied.already":   "You already marked %s applied.",

		"usage.show":           "/tips show <tip> — a tip with its votes, applied count, status, paths and history",
		"show.title":           "Tip %s",
		"show.author":          "By %s, in %s",
		"show.status":          "Status: %s",
		"show.halloffame":      "in the hall of fame",
		"show.paths":           "Training paths: %s",
		"show.nopath":          "none",
		"show.history":         "History:",
		"history.captured":     "captured",
		"history.edited":       "edited",
		"history.approved":     "approved",
		"history.featured":     "featured",
		"history.rejected":     "rejected",
		"history.hall-of-fame": "entered the hall of fame",
		"history.by":           "by %s",

		"usage.notyet":                 "/tips not-yet <tip> — answer a follow-up: not put into practice yet",
		"usage.notforme":               "/tips not-for-me <tip> — answer a follow-up: this tip is not for you",
		"usage.quiet":                  "/tips quiet [off] — stop (or resume) follow-ups and nudges for you",
		"quiet.on":                     "No more follow-ups or nudges for you. /tips quiet off resumes them.",
		"quiet.off":                    "Follow-ups and nudges resumed.",
		"days.one":                     "%d day",
		"days.many":                    "%d days",
		"followup.title":               "Did you put it into practice?",
		"followup.recall":              "%s ago in «%s» you retained:",
		"followup.tip":                 "• «%s» (%s)",
		"followup.how":                 "Answer with the buttons, or /tips applied <tip>, /tips not-yet <tip> or /tips not-for-me <tip>. /tips quiet stops these messages.",
		"followup.button.applied":      "Applied",
		"followup.button.notyet":       "Not yet",
		"followup.button.notforme":     "Not for me",
		"followup.none":                "No follow-up asked you about %s.",
		"report.applied":               "Applied marks: %d",
		"report.followup":              "Follow-up of %s «%s» after %s: %d sent — applied %d · not yet %d · not for me %d · no answer %d",
		"followup.answered.not-yet":    "Noted: not yet for %s.",
		"followup.answered.not-for-me": "Noted: %s is not for you.",

		"me.rank": "Rank: %d of %s (all time, %s).",

		"experts.title": "Experts on #%s",
		"experts.none":  "No useful tips on #%s yet.",
		"experts.line":  "%d. %s — %s on %s",

		"forget.ask":        "This erases your data: %s, and the votes you gave will stay counted but no longer be linked to you. Run /tips forget-me confirm to proceed.",
		"forget.done":       "Done. Deleted: %s. Votes you gave, still counted but no longer linked to you: %s.",
		"answers.one":       "%d answer",
		"answers.many":      "%d answers",
		"participants.one":  "%d participant",
		"participants.many": "%d participants",

		"usage.prompt":   "/tips prompt [#channel] [in <duration>] <title> — ask “What did you retain?” (duration like 45m, 2h, 1h30m, 2d)",
		"usage.close":    "/tips close <session> — close a session now and post its recap",
		"usage.sessions": "/tips sessions — open and recent sessions",
		"usage.schedule": "/tips schedule add \"<cron>\" [#channel] <title> | list | remove <id> — recurring prompts",

		"session.prompt":        "📝 What did you retain from «%s»? Reply in this thread with one tip each.",
		"session.prompt.footer": "Session %s — open until %s.",
		"session.opened":        "Session %s «%s» is open until %s. Close it early with /tips close %s.",
		"session.unknown":       "There is no session %q. See /tips sessions.",
		"session.alreadyclosed": "Session %s is already closed.",
		"session.closed":        "Session %s closed with %s; the recap is posted.",
		"session.reminder":      "⏰ Session %s closes at %s: %s so far. Reply in this thread with what you retained!",
		"recap.title":           "Recap of «%s» (%s)",
		"recap.none":            "No answers this time. Next time, reply in the thread of the prompt!",
		"recap.summary":         "%s from %s: %s.",
		"recap.top":             "Top answers:",
		"recap.thanks":          "Thank you all for sharing what you learned!",
		"sessions.title":        "Sessions",
		"sessions.none":         "No session yet. Open one with /tips prompt <title>.",
		"sessions.open":         "open until %s",
		"sessions.closedat":     "closed %s",
		"sessions.line":         "%s «%s» in %s — %s, %s",

		"schedule.title":   "Scheduled prompts",
		"schedule.none":    "No scheduled prompt. Add one with /tips schedule add \"0 17 * * FRI\" #channel <title>.",
		"schedule.line":    "%s «%s» in %s — %s — next: %s",
		"schedule.added":   "Schedule %s added: «%s» in %s, next run %s.",
		"schedule.removed": "Schedule %s removed.",
		"schedule.unknown": "There is no schedule %q. See /tips schedule list.",
		"schedule.badcron": "%q is not a valid cron expression. Use five fields (minute hour day month weekday), optionally with a time zone, e.g. /tips schedule add \"CRON_TZ=Europe/Paris 0 17 * * FRI\" #general Weekly retro",

		"period.previous.week":         "last week",
		"period.previous.month":        "last month",
		"digest.title":                 "📬 Digest — %s",
		"digest.none":                  "No tips were shared in that period. Be the first: start a message with tip:",
		"digest.thanks":                "Thank you to everyone who shared!",
		"tip.unknown":                  "There is no tip %q. Tip ids look like t42.",
		"mod.already":                  "Tip %s is already %s.",
		"mod.done.approve":             "Tip %s approved: it now appears in leaderboards and search.",
		"mod.done.feature":             "Tip %s featured: it is recommended for training paths.",
		"mod.done.reject":              "Tip %s rejected and hidden; its author was told privately.",
		"mod.rejected.dm":              "Thank you for sharing «%s». A trainer decided not to keep this one among the team's tips — please don't let that stop you sharing the next one!",
		"mod.verb.approve":             "approved",
		"mod.verb.feature":             "featured",
		"mod.verb.reject":              "rejected",
		"usage.dashboard":              "/tips dashboard — a personal link to the workspace's dashboard",
		"dashboard.off":                "The dashboard is off: an admin sets http.addr in tipbot's configuration to turn it on.",
		"dashboard.link":               "Your personal dashboard link (single use, valid until %s): %s",
		"usage.pending":                "/tips pending — tips waiting for approval",
		"usage.approve":                "/tips approve <tip> — publish a pending tip",
		"usage.feature":                "/tips feature <tip> — recommend a tip for training paths",
		"usage.reject":                 "/tips reject <tip> — hide a tip (its author is told privately)",
		"usage.report":                 "/tips report [week|month|quarter|year|all] [#channel] — engagement report",
		"usage.export":                 "/tips export [csv|json] — the workspace's tips as a file, sent privately",
		"usage.trainer":                "/tips trainer add|remove @user — manage trainers",
		"pending.title":                "Tips waiting for approval: %d",
		"pending.none":                 "No tip is waiting for approval.",
		"pending.how":                  "Approve with /tips approve <tip>, feature with /tips feature <tip>, reject with /tips reject <tip>.",
		"trainer.added":                "%s is now a trainer.",
		"trainer.removed":              "%s is no longer a trainer (trainers listed in roles.trainers stay trainers).",
		"export.done":                  "Here is the export: %s.",
		"report.title":                 "📊 Report — %s, %s",
		"report.workspace":             "all channels",
		"source.command":               "/tip",
		"source.prefix":                "prefix or hashtag",
		"source.reaction":              "reaction",
		"source.shortcut":              "shortcut",
		"source.session":               "session answers",
		"report.tips":                  "Tips captured: %d",
		"report.contributors":          "Contributors: %d",
		"report.newcontributors":       "new contributors: %d",
		"report.participation":         "Participation: %.0f%% (%s of %s)",
		"report.participation.unknown": "Participation: unknown (the platform does not tell the channels' member count)",
		"report.votes":                 "Useful votes: %d",
		"report.topics":                "Top topics: %s",
		"report.sessions":              "Sessions: %d",
		"report.pending":               "Tips pending moderation: %d",
		"report.moderation":            "Moderation: %d approved, %d featured, %d rejected",
		"report.modaction":             "  %s %s %s %s",
		"forget.tips.one":              "your %d tip will be deleted",
		"forget.tips.many":             "your %d tips will be deleted",
		"contributors.one":             "%d contributor",
		"contributors.many":            "%d contributors",
		"members.one":                  "%d channel member",
		"members.many":                 "%d channel members",
		"tip.toolong":                  "Not recorded: a tip has at most %d characters and this one has %d. Shorten it, or share it as several tips.",
		"tip.edit.toolong":             "Your edit of tip %s was not applied: a tip has at most %d characters and the new text has %d.",
		"report.sessionanswers":        "%s, %s per session",
		"report.session.people":        "  %s «%s»: %s from %s",
		"report.session.permember":     "; answers per member of %s: %s (%s)",
		"sessions.closing":             "closing: its deadline %s has passed and the recap follows",
		"session.isclosed":             "Session %s «%s» is closed: your reply is not one of its answers. To share it as a tip, start a message with %s.",
		"session.isclosed.captured":    "Session %s «%s» is closed: your reply is recorded as tip %s, not as an answer of the session.",
		"trainer.notfound":             "%s is not a trainer added with /tips trainer add: nothing was removed.",
		"trainer.config":               "%s is a trainer through roles.trainers in the configuration: only the configuration can change that.",
		"trainer.already":              "%s is already a trainer.",
		"trainer.badmention":           "%q does not name a person: mention them, e.g. /tips trainer add @alice.",
		"prompt.badduration":           "%q is not a duration: use a positive one like 45m, 2h, 1h30m or 2d, e.g. /tips prompt in 45m Git basics.",
		"prompt.notitle":               "A session needs a title: /tips prompt [#channel] [in <duration>] <title>, e.g. /tips prompt in 1h Git basics.",
		"session.istip":                "%s is a tip id; session ids look like s3 (see /tips sessions).",
		"session.badid":                "%q is not a session id; session ids look like s3 (see /tips sessions).",
		"channel.bad":                  "%q is not a channel: write #name with letters, digits, '.', '-' or '_' (on Slack and Discord, type # and pick the channel).",
		"search.more":                  "%d shown of %s: add words or a #topic to narrow the search.",
		"search.atleast":               "%d shown of at least %s: add words or a #topic to narrow the search.",
		"me.more":                      "%d shown of %s, most useful first.",
		"report.nochannel":             "No tip or session was ever recorded in %s: check the channel's name, and that tipbot is a member of it.",
	},
	"fr": {
		"tip.retried":            "Déjà enregistrée sous %s : vous avez partagé la même astuce il y a un instant.",
		"capture.private.dm":     "Rien n'est enregistré depuis les messages directs : ce qui s'y dit reste entre les personnes qui y sont. Demandez à l'auteur de le partager dans un canal.",
		"capture.private.member": "tipbot n'est pas membre de cette conversation, rien n'en est donc enregistré. Ajoutez d'abord tipbot au canal (Slack : /invite @tipbot).",
		"outbox.tip.refused":     "Votre astuce « %s » n'a pas pu être publiée dans %s : tipbot n'est pas membre de ce canal, ou le canal est archivé ou supprimé ; l'astuce n'a donc pas été enregistrée. Ajoutez tipbot au canal (Slack : /invite @tipbot) et partagez-la de nouveau.",
		"outbox.refused.prompt":  "La question de la session %s n'a pas pu être publiée dans %s : tipbot n'est pas membre de ce canal, ou le canal est archivé ou supprimé. Ajoutez tipbot au canal et rouvrez la session.",
		"outbox.refused.recap":   "Le bilan de la session %s n'a pas pu être publié dans %s : tipbot n'est pas membre de ce canal, ou le canal est archivé ou supprimé.",
		"report.outbox":          "File d'envoi : %d messages en attente · %d refusés par la plateforme (voir le journal)",
		"capture.slowdown":       "Doucement : %d astuces par minute et par personne au plus. Celle-ci n'a pas été enregistrée ; partagez-la de nouveau dans une minute.",
		"tips.one":               "%d astuce",
		"tips.many":              "%d astuces",
		"votes.one":              "%d vote utile",
		"votes.many":             "%d votes utiles",

		"period.week":    "cette semaine",
		"period.month":   "ce mois-ci",
		"period.quarter": "ce trimestre",
		"period.year":    "cette année",
		"period.all":     "depuis le début",

		"status.published": "publiée",
		"status.pending":   "en attente de validation",
		"status.featured":  "mise en avant",
		"status.rejected":  "refusée",

		"usage.prefix":         "Utilisation :",
		"usage.unknown":        "Commande inconnue %q. Essayez /tips help.",
		"usage.unknownsub":     "Sous-commande inconnue %q. Essayez /tips help.",
		"usage.tip":            "/tip <texte> — partager une astuce avec le canal",
		"usage.help":           "/tips help — les commandes que vous pouvez utiliser",
		"usage.top":            "/tips top [week|month|quarter|year|all] — meilleurs contributeurs et astuces (par défaut month)",
		"usage.search":         "/tips search <mots ou #sujets> — trouver des astuces, les plus utiles d'abord",
		"usage.me":             "/tips me — vos astuces, les votes reçus et votre rang",
		"usage.experts":        "/tips experts <sujet> — qui a partagé les astuces les plus utiles sur un sujet",
		"usage.forgetme":       "/tips forget-me [confirm] — effacer vos astuces et délier vos votes",
		"role.refused.trainer": "Seuls les formateurs et les administrateurs peuvent lancer %s. Demandez à un administrateur de vous ajouter avec /tips trainer add.",
		"role.refused.admin":   "Seuls les administrateurs peuvent lancer %s (administrateurs de l'espace et personnes listées dans roles.admins).",

		"help.title":   "Commandes de tipbot",
		"help.capture": "Partager une astuce : commencez un message par %s, ou ajoutez %s ; réagissez avec :%s: pour enregistrer le message de quelqu'un ; votez avec %s.",

		"tip.recorded": "Merci ! Votre astuce %s est enregistrée.",
		"tip.pending":  "Merci ! Votre astuce %s est enregistrée et attend la validation d'un formateur.",
		"tip.post":     "💡 Astuce de %s : %s (%s)",
		"tip.line":     "%s « %s » — %s · %s",
		"tip.featured": "⭐ mise en avant",

		"save.cannot":  "Ce message ne peut pas devenir une astuce (il est vide ou vient d'un bot).",
		"save.already": "Ce message est déjà l'astuce %s.",
		"save.done":    "Enregistré comme astuce %s, attribuée à %s.",

		"hof.title":  "🏆 Tableau d'honneur",
		"hof.line":   "« %s » — partagée par %s · votes utiles : %d",
		"hof.footer": "Astuce %s. Merci pour le partage !",
		"hof.thanks": "🎉 Votre astuce entre au tableau d'honneur (votes utiles : %d) : « %s ». Merci pour le partage !",

		"top.title":        "🏆 Classement — %s",
		"top.empty":        "Pas encore d'astuce pour cette période. Partagez-en une avec /tip, ou commencez un message par astuce :",
		"top.contributors": "Meilleurs contributeurs :",
		"top.contributor":  "%d. %s — %s, %s",
		"top.tips":         "Meilleures astuces :",

		"search.title": "🔎 Astuces correspondant à « %s »",
		"search.none":  "Aucune astuce ne correspond. Essayez d'autres mots ou un #sujet.",

		"me.title":   "Vos astuces",
		"me.none":    "Vous n'avez pas encore partagé d'astuce. Commencez un message par astuce : ou utilisez /tip.",
		"me.summary": "Vous avez partagé %s et reçu %s.",
		"me.applied": "Vos astuces ont été mises en pratique %s.",
		"times.one":  "%d fois",
		"times.many": "%d fois",

		"usage.applied":     "/tips applied <astuce> [undo] — dire que vous avez mis une astuce en pratique (undo pour annuler)",
		"applied.one":       "appliquée par %d personne",
		"applied.many":      "appliquée par %d personnes",
		"applied.done":      "C'est noté : vous avez appliqué %s (%s).",
		"applied.undone":    "Votre marque « appliquée » sur %s est retirée (%s).",
		"applied.notmarked": "Vous n'aviez pas marqué %s comme appliquée.",
		"applied.already":   "Vous avez déjà marqué %s comme appliquée.",

		"usage.show":           "/tips show <astuce> — une astuce avec ses votes, ses mises en pratique, son statut, ses parcours et son historique",
		"show.title":           "Astuce %s",
		"show.author":          "Par %s, dans %s",
		"show.status":          "Statut : %s",
		"show.halloffame":      "au tableau d'honneur",
		"show.paths":           "Parcours de formation : %s",
		"show.nopath":          "aucun",
		"show.history":         "Historique :",
		"history.captured":     "enregistrée",
		"history.edited":       "modifiée",
		"history.approved":     "validée",
		"history.featured":     "mise en avant",
		"history.rejected":     "refusée",
		"history.hall-of-fame": "entrée au tableau d'honneur",
		"history.by":           "par %s",

		"usage.notyet":                 "/tips not-yet <astuce> — répondre à un suivi : pas encore mise en pratique",
		"usage.notforme":               "/tips not-for-me <astuce> — répondre à un suivi : cette astuce n'est pas pour vous",
		"usage.quiet":                  "/tips quiet [off] — arrêter (ou reprendre) les suivis et les invitations pour vous",
		"quiet.on":                     "Plus de suivis ni d'invitations pour vous. /tips quiet off les reprend.",
		"quiet.off":                    "Les suivis et les invitations reprennent.",
		"days.one":                     "%d jour",
		"days.many":                    "%d jours",
		"followup.title":               "L'avez-vous mise en pratique ?",
		"followup.recall":              "Il y a %s, dans « %s », vous avez retenu :",
		"followup.tip":                 "• « %s » (%s)",
		"followup.how":                 "Répondez avec les boutons, ou /tips applied <astuce>, /tips not-yet <astuce> ou /tips not-for-me <astuce>. /tips quiet arrête ces messages.",
		"followup.button.applied":      "Appliquée",
		"followup.button.notyet":       "Pas encore",
		"followup.button.notforme":     "Pas pour moi",
		"followup.none":                "Aucun suivi ne vous a interrogé sur %s.",
		"report.applied":               "Mises en pratique : %d",
		"report.followup":              "Suivi de %s « %s » après %s : %d envoyés — appliquée %d · pas encore %d · pas pour moi %d · sans réponse %d",
		"followup.answered.not-yet":    "C'est noté : pas encore pour %s.",
		"followup.answered.not-for-me": "C'est noté : %s n'est pas pour vous.",

		"me.rank": "Rang : %d sur %s (depuis le début, %s).",

		"experts.title": "Experts de #%s",
		"experts.none":  "Pas encore d'astuce utile sur #%s.",
		"experts.line":  "%d. %s — %s sur %s",

		"forget.ask":        "Cela efface vos données : %s, et les votes que vous avez donnés resteront comptés sans plus vous être liés. Lancez /tips forget-me confirm pour continuer.",
		"forget.done":       "C'est fait. Supprimé : %s. Votes donnés, toujours comptés mais plus liés à vous : %s.",
		"answers.one":       "%d réponse",
		"answers.many":      "%d réponses",
		"participants.one":  "%d participant",
		"participants.many": "%d participants",

		"usage.prompt":   "/tips prompt [#canal] [in <durée>] <titre> — demander « Qu'avez-vous retenu ? » (durée comme 45m, 2h, 1h30m, 2d)",
		"usage.close":    "/tips close <session> — clore une session maintenant et publier son bilan",
		"usage.sessions": "/tips sessions — sessions ouvertes et récentes",
		"usage.schedule": "/tips schedule add \"<cron>\" [#canal] <titre> | list | remove <id> — questions récurrentes",

		"session.prompt":        "📝 Qu'avez-vous retenu de « %s » ? Répondez dans ce fil, une astuce par message.",
		"session.prompt.footer": "Session %s — ouverte jusqu'au %s.",
		"session.opened":        "La session %s « %s » est ouverte jusqu'au %s. Pour la clore plus tôt : /tips close %s.",
		"session.unknown":       "Il n'y a pas de session %q. Voir /tips sessions.",
		"session.alreadyclosed": "La session %s est déjà close.",
		"session.closed":        "Session %s close avec %s ; le bilan est publié.",
		"session.reminder":      "⏰ La session %s se termine le %s : %s pour l'instant. Répondez dans ce fil avec ce que vous avez retenu !",
		"recap.title":           "Bilan de « %s » (%s)",
		"recap.none":            "Aucune réponse cette fois. La prochaine fois, répondez dans le fil de la question !",
		"recap.summary":         "%s de %s : %s.",
		"recap.top":             "Meilleures réponses :",
		"recap.thanks":          "Merci à toutes et à tous d'avoir partagé ce que vous avez appris !",
		"sessions.title":        "Sessions",
		"sessions.none":         "Aucune session pour l'instant. Ouvrez-en une avec /tips prompt <titre>.",
		"sessions.open":         "ouverte jusqu'au %s",
		"sessions.closedat":     "close le %s",
		"sessions.line":         "%s « %s » dans %s — %s, %s",

		"schedule.title":   "Questions programmées",
		"schedule.none":    "Aucune question programmée. Ajoutez-en une avec /tips schedule add \"0 17 * * FRI\" #canal <titre>.",
		"schedule.line":    "%s « %s » dans %s — %s — prochaine : %s",
		"schedule.added":   "Programmation %s ajoutée : « %s » dans %s, prochaine le %s.",
		"schedule.removed": "Programmation %s supprimée.",
		"schedule.unknown": "Il n'y a pas de programmation %q. Voir /tips schedule list.",
		"schedule.badcron": "%q n'est pas une expression cron valide. Utilisez cinq champs (minute heure jour mois jour-de-semaine), avec un fuseau si besoin, par ex. /tips schedule add \"CRON_TZ=Europe/Paris 0 17 * * FRI\" #general Rétro hebdo",

		"period.previous.week":         "la semaine dernière",
		"period.previous.month":        "le mois dernier",
		"digest.title":                 "📬 Résumé — %s",
		"digest.none":                  "Aucune astuce partagée sur cette période. Soyez le premier : commencez un message par astuce :",
		"digest.thanks":                "Merci à toutes celles et ceux qui ont partagé !",
		"tip.unknown":                  "Il n'y a pas d'astuce %q. Les identifiants ressemblent à t42.",
		"mod.already":                  "L'astuce %s est déjà %s.",
		"mod.done.approve":             "Astuce %s validée : elle apparaît désormais dans les classements et la recherche.",
		"mod.done.feature":             "Astuce %s mise en avant : elle est recommandée pour les parcours de formation.",
		"mod.done.reject":              "Astuce %s refusée et masquée ; son auteur a été prévenu en privé.",
		"mod.rejected.dm":              "Merci d'avoir partagé « %s ». Un formateur a choisi de ne pas la garder parmi les astuces de l'équipe — que cela ne vous empêche pas de partager la prochaine !",
		"mod.verb.approve":             "a validé",
		"mod.verb.feature":             "a mis en avant",
		"mod.verb.reject":              "a refusé",
		"usage.dashboard":              "/tips dashboard — un lien personnel vers le tableau de bord de l'espace",
		"dashboard.off":                "Le tableau de bord est désactivé : un admin renseigne http.addr dans la configuration de tipbot pour l'activer.",
		"dashboard.link":               "Votre lien personnel vers le tableau de bord (à usage unique, valable jusqu'à %s) : %s",
		"usage.pending":                "/tips pending — astuces en attente de validation",
		"usage.approve":                "/tips approve <astuce> — publier une astuce en attente",
		"usage.feature":                "/tips feature <astuce> — recommander une astuce pour les parcours de formation",
		"usage.reject":                 "/tips reject <astuce> — masquer une astuce (son auteur est prévenu en privé)",
		"usage.report":                 "/tips report [week|month|quarter|year|all] [#canal] — rapport d'engagement",
		"usage.export":                 "/tips export [csv|json] — les astuces de l'espace dans un fichier, envoyé en privé",
		"usage.trainer":                "/tips trainer add|remove @personne — gérer les formateurs",
		"pending.title":                "Astuces en attente de validation : %d",
		"pending.none":                 "Aucune astuce n'attend de validation.",
		"pending.how":                  "Validez avec /tips approve <astuce>, mettez en avant avec /tips feature <astuce>, refusez avec /tips reject <astuce>.",
		"trainer.added":                "%s est maintenant formateur.",
		"trainer.removed":              "%s n'est plus formateur (les formateurs listés dans roles.trainers le restent).",
		"export.done":                  "Voici l'export : %s.",
		"report.title":                 "📊 Rapport — %s, %s",
		"report.workspace":             "tous les canaux",
		"source.command":               "/tip",
		"source.prefix":                "préfixe ou hashtag",
		"source.reaction":              "réaction",
		"source.shortcut":              "raccourci",
		"source.session":               "réponses de session",
		"report.tips":                  "Astuces recueillies : %d",
		"report.contributors":          "Contributeurs : %d",
		"report.newcontributors":       "nouveaux contributeurs : %d",
		"report.participation":         "Participation : %.0f%% (%s sur %s)",
		"report.participation.unknown": "Participation : inconnue (la plateforme ne donne pas le nombre de membres des canaux)",
		"report.votes":                 "Votes utiles : %d",
		"report.topics":                "Sujets principaux : %s",
		"report.sessions":              "Sessions : %d",
		"report.pending":               "Astuces en attente de modération : %d",
		"report.moderation":            "Modération — validées : %d, mises en avant : %d, refusées : %d",
		"report.modaction":             "  %s %s %s %s",
		"forget.tips.one":              "%d astuce sera supprimée",
		"forget.tips.many":             "vos %d astuces seront supprimées",
		"contributors.one":             "%d contributeur",
		"contributors.many":            "%d contributeurs",
		"members.one":                  "%d membre des canaux",
		"members.many":                 "%d membres des canaux",
		"tip.toolong":                  "Non enregistrée : une astuce a au plus %d caractères et celle-ci en a %d. Raccourcissez-la, ou partagez-la en plusieurs astuces.",
		"tip.edit.toolong":             "Votre modification de l'astuce %s n'a pas été appliquée : une astuce a au plus %d caractères et le nouveau texte en a %d.",
		"report.sessionanswers":        "%s, %s par session",
		"report.session.people":        "  %s « %s » : %s de %s",
		"report.session.permember":     " ; réponses par membre de %s : %s (%s)",
		"sessions.closing":             "en cours de clôture : son échéance du %s est passée et le bilan va suivre",
		"session.isclosed":             "La session %s « %s » est close : votre réponse n'en fait pas partie. Pour la partager comme astuce, commencez un message par %s.",
		"session.isclosed.captured":    "La session %s « %s » est close : votre réponse est enregistrée comme astuce %s, pas comme réponse de la session.",
		"trainer.notfound":             "%s n'est pas un formateur ajouté avec /tips trainer add : rien n'a été retiré.",
		"trainer.config":               "%s est formateur par roles.trainers dans la configuration : seule la configuration peut changer cela.",
		"trainer.already":              "%s est déjà formateur.",
		"trainer.badmention":           "%q ne désigne personne : mentionnez la personne, par ex. /tips trainer add @alice.",
		"prompt.badduration":           "%q n'est pas une durée : utilisez une durée positive comme 45m, 2h, 1h30m ou 2d, par ex. /tips prompt in 45m Bases de Git.",
		"prompt.notitle":               "Une session a besoin d'un titre : /tips prompt [#canal] [in <durée>] <titre>, par ex. /tips prompt in 1h Bases de Git.",
		"session.istip":                "%s est un identifiant d'astuce ; ceux des sessions ressemblent à s3 (voir /tips sessions).",
		"session.badid":                "%q n'est pas un identifiant de session ; ils ressemblent à s3 (voir /tips sessions).",
		"channel.bad":                  "%q n'est pas un canal : écrivez #nom avec des lettres, chiffres, '.', '-' ou '_' (sur Slack et Discord, tapez # et choisissez le canal).",
		"search.more":                  "%d affichées sur %s : ajoutez des mots ou un #sujet pour affiner.",
		"search.atleast":               "%d affichées sur au moins %s : ajoutez des mots ou un #sujet pour affiner.",
		"me.more":                      "%d affichées sur %s, les plus utiles d'abord.",
		"report.nochannel":             "Aucune astuce ni session n'a jamais été enregistrée dans %s : vérifiez le nom du canal, et que tipbot en est membre.",
	},
}
