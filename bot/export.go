package bot

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ExportColumns are the fields of an export record, in SPEC's order: the
// keys of a JSON Lines record and the header of a CSV export.
var ExportColumns = []string{
	"id", "workspace", "platform", "channel", "message_id", "author_id", "author_name",
	"text", "topics", "source", "session_id", "status", "useful_votes", "created_at",
	"applied", "paths", "visibility",
}

// ExportFormats are the formats Export writes.
var ExportFormats = []string{"jsonl", "csv"}

// exportRecord is one JSON Lines record; its fields follow ExportColumns.
type exportRecord struct {
	ID          string   `json:"id"`
	Workspace   string   `json:"workspace"`
	Platform    string   `json:"platform"`
	Channel     string   `json:"channel"`
	MessageID   string   `json:"message_id"`
	AuthorID    string   `json:"author_id"`
	AuthorName  string   `json:"author_name"`
	Text        string   `json:"text"`
	Topics      []string `json:"topics"`
	Source      string   `json:"source"`
	SessionID   string   `json:"session_id"`
	Status      string   `json:"status"`
	UsefulVotes int      `json:"useful_votes"`
	CreatedAt   string   `json:"created_at"`
	Applied     int      `json:"applied"`
	// Paths are the training paths the tip is in, in name order.
	Paths      []string `json:"paths"`
	Visibility string   `json:"visibility"`
}

func newExportRecord(ws Workspace, t Tip) exportRecord {
	topics := t.Topics
	if topics == nil {
		topics = []string{}
	}
	return exportRecord{
		ID:          t.ID.String(),
		Workspace:   ws.ID,
		Platform:    string(ws.Platform),
		Channel:     t.Channel,
		MessageID:   t.MessageID,
		AuthorID:    t.AuthorID,
		AuthorName:  t.AuthorName,
		Text:        t.Text,
		Topics:      topics,
		Source:      string(t.Source),
		SessionID:   t.SessionID.String(),
		Status:      string(t.Status),
		UsefulVotes: t.UsefulVotes,
		CreatedAt:   t.CreatedAt.UTC().Format(time.RFC3339),
		Applied:     t.Applied,
		Paths:       []string{},
		Visibility:  t.ExportVisibility(),
	}
}

// row returns the record's CSV cells, each made safe by csvCell.
func (r exportRecord) row() []string {
	row := []string{
		r.ID, r.Workspace, r.Platform, r.Channel, r.MessageID, r.AuthorID, r.AuthorName,
		r.Text, strings.Join(r.Topics, " "), r.Source, r.SessionID, r.Status,
		strconv.Itoa(r.UsefulVotes), r.CreatedAt, strconv.Itoa(r.Applied), strings.Join(r.Paths, " "), r.Visibility,
	}
	for i, cell := range row {
		row[i] = csvCell(cell)
	}
	return row
}

// recordWriter returns the writer of export records in format (jsonl or
// json, csv with its header written first) and the flush that ends it.
func recordWriter(w io.Writer, format string) (write func(exportRecord) error, flush func() error, err error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	switch format {
	case "jsonl", "json":
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		write = func(r exportRecord) error { return enc.Encode(r) }
		flush = bw.Flush
	case "csv":
		cw := csv.NewWriter(bw)
		cw.UseCRLF = true
		write = func(r exportRecord) error { return cw.Write(r.row()) }
		flush = func() error {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
			return bw.Flush()
		}
		if err := cw.Write(ExportColumns); err != nil {
			return nil, nil, fmt.Errorf("export: %w", err)
		}
	default:
		return nil, nil, fmt.Errorf("export: unknown format %q (want %s)", format, strings.Join(ExportFormats, " or "))
	}
	return write, flush, nil
}

// Export writes every tip of the given workspaces, whatever its status, to
// w in format "jsonl" (one JSON object per line; "json" is accepted for the
// same) or "csv" (RFC 4180 with a header row, topics space-separated,
// cells made safe for spreadsheets by csvCell), with the fields of
// ExportColumns. Tips come in workspace order, then id order;
// each workspace is read in one consistent snapshot. It returns an error
// for an unknown format before writing anything, and the first error of
// the store, the context or w.
func Export(ctx context.Context, st Store, workspaces []Workspace, format string, w io.Writer) error {
	write, flush, err := recordWriter(w, format)
	if err != nil {
		return err
	}
	for _, ws := range workspaces {
		n := 0
		err := st.View(ctx, ws, func(tx ReadTx) error {
			return tx.ForEachTip(func(t Tip) error {
				if n++; n%1024 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				r := newExportRecord(ws, t)
				paths, err := tipPaths(tx, t.ID)
				if err != nil {
					return err
				}
				if paths != nil {
					r.Paths = paths
				}
				return write(r)
			})
		})
		if err != nil {
			return fmt.Errorf("export: %s: %w", ws, err)
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
