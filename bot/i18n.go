package bot

import "fmt"

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
		"tips.one":   "%d tip",
		"tips.many":  "%d tips",
		"votes.one":  "%d useful vote",
		"votes.many": "%d useful votes",

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
		"hof.line":   "«%s» — shared by %s, found useful by %d colleagues.",
		"hof.footer": "Tip %s. Thank you for sharing!",
		"hof.thanks": "🎉 Your tip was found useful by %d colleagues and joins the hall of fame: «%s». Thank you for sharing!",

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
		"me.rank":    "Rank: %d of %d contributors (all time, %s).",

		"experts.title": "Experts on #%s",
		"experts.none":  "No useful tips on #%s yet.",
		"experts.line":  "%d. %s — %s on %s",

		"forget.ask":        "This erases your data: your %s will be deleted and the votes you gave will stay counted but no longer be linked to you. Run /tips forget-me confirm to proceed.",
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
		"report.participation":         "Participation: %.0f%% (%d contributors of %d channel members)",
		"report.participation.unknown": "Participation: unknown (the platform does not tell the channels' member count)",
		"report.votes":                 "Useful votes: %d",
		"report.topics":                "Top topics: %s",
		"report.sessions":              "Sessions: %d",
		"report.answerrate":            "answer rate %d%% of sessions answered, %s",
		"report.session":               "  %s «%s»: %s",
		"report.pending":               "Tips pending moderation: %d",
		"report.moderation":            "Moderation: %d approved, %d featured, %d rejected",
		"report.modaction":             "  %s %s %s %s",
	},
	"fr": {
		"tips.one":   "%d astuce",
		"tips.many":  "%d astuces",
		"votes.one":  "%d vote utile",
		"votes.many": "%d votes utiles",

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
		"hof.line":   "« %s » — partagée par %s, jugée utile par %d collègues.",
		"hof.footer": "Astuce %s. Merci pour le partage !",
		"hof.thanks": "🎉 Votre astuce a été jugée utile par %d collègues et entre au tableau d'honneur : « %s ». Merci pour le partage !",

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
		"me.rank":    "Rang : %d sur %d contributeurs (depuis le début, %s).",

		"experts.title": "Experts de #%s",
		"experts.none":  "Pas encore d'astuce utile sur #%s.",
		"experts.line":  "%d. %s — %s sur %s",

		"forget.ask":        "Cela efface vos données : vos %s seront supprimées et les votes que vous avez donnés resteront comptés sans plus vous être liés. Lancez /tips forget-me confirm pour continuer.",
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
		"report.participation":         "Participation : %.0f%% (%d contributeurs sur %d membres des canaux)",
		"report.participation.unknown": "Participation : inconnue (la plateforme ne donne pas le nombre de membres des canaux)",
		"report.votes":                 "Votes utiles : %d",
		"report.topics":                "Sujets principaux : %s",
		"report.sessions":              "Sessions : %d",
		"report.answerrate":            "taux de réponse %d%% des sessions avec réponse, %s",
		"report.session":               "  %s « %s » : %s",
		"report.pending":               "Astuces en attente de modération : %d",
		"report.moderation":            "Modération : %d validées, %d mises en avant, %d refusées",
		"report.modaction":             "  %s %s %s %s",
	},
}
