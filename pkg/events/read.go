package events

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxReasons is how many skip reasons a Report keeps; the rest are counted.
const MaxReasons = 5

// Report describes the quality of what was read: how many events were kept,
// how many were skipped, and why the first few were.
type Report struct {
	Kept    int
	Skipped int
	Reasons []string

	// Incomplete says the source stopped before reading everything (rate
	// limit, deadline): what it returned is true but partial, and is not
	// worth keeping for long.
	Incomplete bool
}

// Merge adds the counts and reasons of o to r. The result is incomplete
// when either is.
func (r *Report) Merge(o Report) {
	r.Kept += o.Kept
	r.Skipped += o.Skipped
	r.Incomplete = r.Incomplete || o.Incomplete
	for _, reason := range o.Reasons {
		if len(r.Reasons) == MaxReasons {
			break
		}
		r.Reasons = append(r.Reasons, reason)
	}
}

// Skip counts one skipped event and keeps its reason if there is room.
func (r *Report) Skip(reason string) {
	r.Skipped++
	if len(r.Reasons) < MaxReasons {
		r.Reasons = append(r.Reasons, reason)
	}
}

// String summarises the report for a notice or a health message.
func (r Report) String() string {
	read := "events read"
	if r.Incomplete {
		read = "events read (incomplete)"
	}
	if r.Skipped == 0 {
		return fmt.Sprintf("%d %s", r.Kept, read)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d %s, %d skipped", r.Kept, read, r.Skipped)
	for i, reason := range r.Reasons {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(reason)
	}
	if more := r.Skipped - len(r.Reasons); more > 0 {
		fmt.Fprintf(&b, "; and %d more", more)
	}
	return b.String()
}

// Read reads canonical events from a JSON array or from NDJSON (one object
// per line). Invalid events are skipped and reported; only a failure to read
// r is returned as an error. In a JSON array a syntax error ends the read,
// since nothing after it can be trusted, but the events before it are kept.
func Read(r io.Reader) (*Set, Report, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	b := NewBuilder()

	first, err := peekNonSpace(br)
	if errors.Is(err, io.EOF) {
		return b.Set(), b.Report(), nil
	}
	if err != nil {
		return nil, Report{}, err
	}
	if first == '[' {
		err = readArray(br, b)
	} else {
		err = readLines(br, b)
	}
	if err != nil {
		return nil, Report{}, err
	}
	return b.Set(), b.Report(), nil
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case 0xEF: // a UTF-8 byte order mark
			if next, err := br.Peek(2); err == nil && next[0] == 0xBB && next[1] == 0xBF {
				_, _ = br.Discard(2)
				continue
			}
		}
		return c, br.UnreadByte()
	}
}

func readArray(br *bufio.Reader, b *Builder) error {
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil {
		return err
	}
	for item := 1; dec.More(); item++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			var syntax *json.SyntaxError
			if errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) {
				b.report.Skip(fmt.Sprintf("item %d: invalid JSON (%v); the rest of the array was not read", item, err))
				return nil
			}
			return err
		}
		b.addAt("item", item, raw)
	}
	return nil
}

func readLines(br *bufio.Reader, b *Builder) error {
	for line := 1; ; line++ {
		text, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(text)) > 0 {
			b.addAt("line", line, text)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
