package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// recDigest holds, under key "last", the due time of the last digest run
// handled in a workspace (RFC 3339).
const recDigest = "digest"

func jsonDecode(raw []byte, v any) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("bot: decode %T: %w", v, err)
	}
	return nil
}

// digestSchedule returns the parsed digest schedule, or nil when none is
// configured.
func (b *Bot) digestSchedule() (CronSchedule, error) {
	if b.cfg.DigestSchedule == "" {
		return nil, nil
	}
	return b.parseCron(b.cfg.DigestSchedule)
}

// digestNext returns the next digest time after now (zero when none).
func (b *Bot) digestNext() (time.Time, error) {
	sched, err := b.digestSchedule()
	if err != nil || sched == nil {
		return time.Time{}, err
	}
	return sched.Next(b.now()), nil
}

// digestPeriod is what a digest covers: the previous week for schedules
// running at least weekly, else the previous month.
func digestPeriod(sched CronSchedule, at time.Time) Period {
	first := sched.Next(at)
	if second := sched.Next(first); !second.IsZero() && second.Sub(first) <= 8*24*time.Hour {
		return Week
	}
	return Month
}

// tickDigest posts the digest in ws when due (same catch-up rule as
// schedules) and returns the next due time.
func (b *Bot) tickDigest(ctx context.Context, ws Workspace) (time.Time, error) {
	sched, err := b.digestSchedule()
	if err != nil {
		return time.Time{}, err
	}
	channel := b.cfg.DigestChannel[ws.Platform]
	if sched == nil || channel == "" {
		return time.Time{}, nil
	}
	now := b.now()
	var last time.Time
	err = b.view(ctx, ws, func(tx ReadTx) error {
		raw, err := tx.Record(recDigest, "last")
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		last, err = time.Parse(time.RFC3339, string(raw))
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	if last.IsZero() {
		// First time: start counting from now, without firing.
		_, err := b.update(ctx, &EventMeta{Workspace: ws}, func(tx Tx, _ *outbox) (bool, error) {
			return true, tx.PutRecord(recDigest, "last", []byte(now.Format(time.RFC3339)))
		})
		return sched.Next(now), err
	}
	due, latest := sched.Next(last), time.Time{}
	for i := 0; !due.IsZero() && !due.After(now) && i < maxCatchUpSteps; i++ {
		latest, due = due, sched.Next(due)
	}
	if latest.IsZero() {
		return due, nil
	}
	fire := now.Sub(latest) <= b.cfg.CatchUp
	if !fire {
		b.log.Warn("digest missed while tipbot was down: skipped", "workspace", ws.Key(), "due", latest.Format(time.RFC3339))
	}
	_, err = b.update(ctx, &EventMeta{Workspace: ws}, func(tx Tx, out *outbox) (bool, error) {
		if err := tx.PutRecord(recDigest, "last", []byte(latest.Format(time.RFC3339))); err != nil {
			return false, err
		}
		if !fire {
			return true, nil
		}
		m, err := b.digest(tx, digestPeriod(sched, latest), latest)
		if err != nil {
			return false, err
		}
		if err := b.owePost(tx, out, "digest", channel, m, parcel{Urgent: true}); err != nil {
			return false, err
		}
		return true, nil
	})
	return due, err
}

// digest builds the digest of the period before the one containing at:
// top tips and top contributors, crediting authors.
func (b *Bot) digest(tx ReadTx, p Period, at time.Time) (Message, error) {
	prev := PreviousPeriodStart(p, PeriodStart(p, at, b.cfg.Location))
	key := PeriodKey(p, prev, b.cfg.Location)
	m := Message{Title: b.t("digest.title", b.t("period.previous."+string(p)))}
	tips, err := postViewer.topTips(tx, key, 5)
	if err != nil {
		return m, err
	}
	authors, err := postViewer.topAuthors(tx, key, 5)
	if err != nil {
		return m, err
	}
	if len(tips) == 0 {
		m.Lines = append(m.Lines, Line{Text: b.t("digest.none")})
		return m, nil
	}
	names := map[string]string{}
	if err := b.names(tx, authors, names); err != nil {
		return m, err
	}
	m.Lines = append(m.Lines, Line{Text: b.t("top.tips")})
	for i, t := range tips {
		m.Lines = append(m.Lines, b.tipLine(fmt.Sprintf("%d. ", i+1), t))
	}
	m.Lines = append(m.Lines, Line{Text: b.t("top.contributors")})
	for i, a := range authors {
		m.Lines = append(m.Lines, Line{Text: b.t("top.contributor", i+1, names[a.Member], b.plural("tips", a.Tips), b.plural("votes", a.Votes))})
	}
	m.Lines = append(m.Lines, Line{Text: b.t("digest.thanks")})
	return m, nil
}
