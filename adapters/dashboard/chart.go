package dashboard

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
)

// palette is the Okabe–Ito palette: its colours stay apart for the common
// forms of colour blindness, and each chart also has a legend and a table.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"}

// Series is one named row of numbers of a chart, one per label.
type Series struct {
	Name   string
	Values []int64
}

// Chart is a bar chart drawn by the server as SVG, shown with a table of
// the same numbers (the table is what screen readers and tests read).
type Chart struct {
	ID      string   // unique in the page: the SVG is "chart-ID", the table "chart-ID-table"
	Title   string   // what the chart shows
	Caption string   // the caption of its table
	Labels  []string // one per bar (group), e.g. the weeks
	Rows    []string // what each label means in full (e.g. the week's date), for the table

	Series  []Series
	Stacked bool   // stack the series' bars; else side by side
	Total   string // when set, the table adds a column of the row totals under this name
}

// Geometry of the SVG, in its own units (the SVG scales to its box).
const (
	chartW, chartH          = 640, 260
	padLeft, padRight       = 44, 8
	padTop, padBottom       = 28, 36
	chartGridLines          = 4
	plotW                   = chartW - padLeft - padRight
	plotH                   = chartH - padTop - padBottom
	legendSwatch, legendGap = 10, 14
)

// niceMax returns a round upper bound for the y axis, at least max and 4.
func niceMax(max int64) int64 {
	if max < chartGridLines {
		return chartGridLines
	}
	step := int64(1)
	for {
		for _, m := range []int64{1, 2, 5} {
			if s := step * m; s*chartGridLines >= max {
				return s * chartGridLines
			}
		}
		step *= 10
	}
}

// SVG draws the chart. Every bar has a <title> with its value; the SVG
// is labelled by the chart's title and described as a chart whose data
// are in the table beside it.
func (c Chart) SVG() template.HTML {
	var top int64
	for i := range c.Labels {
		var sum int64
		for _, s := range c.Series {
			v := s.Values[i]
			if c.Stacked {
				sum += v
			} else if v > sum {
				sum = v
			}
		}
		top = max(top, sum)
	}
	ymax := niceMax(top)
	y := func(v int64) float64 { return padTop + plotH - float64(v)*plotH/float64(ymax) }
	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg id="chart-%s" class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-%s-title" xmlns="http://www.w3.org/2000/svg">`, esc(c.ID), chartW, chartH, esc(c.ID))
	fmt.Fprintf(&b, `<title id="chart-%s-title">%s</title>`, esc(c.ID), esc(c.Title))
	// Grid and y labels.
	for i := 0; i <= chartGridLines; i++ {
		v := ymax * int64(i) / chartGridLines
		yy := y(v)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ccc" stroke-width="1"/>`, padLeft, chartW-padRight, yy, yy)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" font-size="13" fill="#333">%d</text>`, padLeft-6, yy+4, v)
	}
	n := len(c.Labels)
	if n > 0 {
		slot := float64(plotW) / float64(n)
		barW := slot * 0.7
		for i, label := range c.Labels {
			x0 := padLeft + slot*float64(i) + (slot-barW)/2
			var base int64
			for j, s := range c.Series {
				v := s.Values[i]
				colour := palette[j%len(palette)]
				var x, w, top, bottom float64
				if c.Stacked {
					x, w = x0, barW
					top, bottom = y(base+v), y(base)
					base += v
				} else {
					w = barW / float64(len(c.Series))
					x = x0 + w*float64(j)
					top, bottom = y(v), y(0)
				}
				if v == 0 {
					continue
				}
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %d</title></rect>`,
					x, top, w, bottom-top, colour, esc(label), esc(s.Name), v)
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="13" fill="#333">%s</text>`, x0+barW/2, chartH-padBottom+16, esc(label))
		}
	}
	// Legend, above the plot.
	x := float64(padLeft)
	for j, s := range c.Series {
		fmt.Fprintf(&b, `<rect x="%.1f" y="8" width="%d" height="%d" fill="%s"/>`, x, legendSwatch, legendSwatch, palette[j%len(palette)])
		fmt.Fprintf(&b, `<text x="%.1f" y="17" font-size="13" fill="#333">%s</text>`, x+legendSwatch+4, esc(s.Name))
		x += legendSwatch + 4 + float64(7*len([]rune(s.Name))) + legendGap
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// ChartTable is a chart's numbers as its table shows them: a column per
// label (as the chart's x axis), a row per series.
type ChartTable struct {
	Head   []string   // the labels
	Titles []string   // what each label means in full (Chart.Rows)
	Rows   [][]string // each series' name, then its numbers
}

// Table returns the chart's numbers: one column per label, one row per
// series (and a row of totals when Chart.Total is set).
func (c Chart) Table() ChartTable {
	t := ChartTable{Head: c.Labels, Titles: c.Rows}
	totals := make([]int64, len(c.Labels))
	for _, s := range c.Series {
		row := []string{s.Name}
		for i, v := range s.Values {
			row = append(row, strconv.FormatInt(v, 10))
			totals[i] += v
		}
		t.Rows = append(t.Rows, row)
	}
	if c.Total != "" {
		row := []string{c.Total}
		for _, v := range totals {
			row = append(row, strconv.FormatInt(v, 10))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
