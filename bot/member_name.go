package bot

import "context"

// MemberName returns the name the directory of people knows for a person
// of the workspace, or "" when it knows none (or cannot be read). Adapters
// use it to name, without pinging them, the people a repost mentions.
func (b *Bot) MemberName(ctx context.Context, ws Workspace, id string) string {
	name := ""
	_ = b.view(ctx, ws, func(tx ReadTx) error {
		m, err := tx.Member(id)
		if err == nil {
			name = m.Name
		}
		return nil
	})
	return name
}
