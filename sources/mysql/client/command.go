package client

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/proto"
)

// Result is a text result set.
type Result struct {
	Columns []string
	Rows    [][]sql.NullString
}

// writeCommand starts a new exchange and sends one command packet.
func (c *Conn) writeCommand(ctx context.Context, what string, payload []byte) error {
	c.fr.ResetSequence()
	if err := c.fr.WritePacket(payload); err != nil {
		return c.fail(ctx, what, c.cfg.WriteTimeout, err)
	}
	// Keep a grown buffer for the next command unless it is large.
	if cap(payload) <= 64<<10 {
		c.wbuf = payload[:0]
	}
	return nil
}

// readReply reads one packet of a command's reply.
func (c *Conn) readReply(ctx context.Context, what string) ([]byte, error) {
	p, err := c.fr.ReadPacket()
	if err != nil {
		return nil, c.fail(ctx, what, c.cfg.ReadTimeout, err)
	}
	if len(p) == 0 {
		err := errors.New("empty packet")
		c.broken = err
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return p, nil
}

// Exec runs a statement with COM_QUERY and waits for its OK, reading and
// discarding any result sets. An ERR reply is a *proto.ServerError.
func (c *Conn) Exec(ctx context.Context, query string) error {
	defer c.end()
	if err := c.begin(ctx, c.cfg.ReadTimeout, c.cfg.WriteTimeout); err != nil {
		return err
	}
	what := "exec " + abbreviate(query)
	if err := c.writeCommand(ctx, what, proto.AppendQuery(c.wbuf[:0], query)); err != nil {
		return err
	}
	return c.readResults(ctx, what, nil)
}

// Query runs a statement with COM_QUERY and returns its first text result
// set (further result sets are read and discarded). A statement that
// returns no result set gives a Result without columns. An ERR reply is a
// *proto.ServerError.
func (c *Conn) Query(ctx context.Context, query string) (*Result, error) {
	defer c.end()
	if err := c.begin(ctx, c.cfg.ReadTimeout, c.cfg.WriteTimeout); err != nil {
		return nil, err
	}
	what := "query " + abbreviate(query)
	if err := c.writeCommand(ctx, what, proto.AppendQuery(c.wbuf[:0], query)); err != nil {
		return nil, err
	}
	res := &Result{}
	if err := c.readResults(ctx, what, res); err != nil {
		return nil, err
	}
	return res, nil
}

// readResults reads the reply to COM_QUERY: OK, ERR or result sets, as
// long as the server says more results exist. The first result set is
// stored into res when res is not nil.
func (c *Conn) readResults(ctx context.Context, what string, res *Result) error {
	for first := true; ; first = false {
		p, err := c.readReply(ctx, what)
		if err != nil {
			return err
		}
		var status uint16
		switch p[0] {
		case proto.OKHeader:
			ok, err := proto.ParseOK(p)
			if err != nil {
				c.broken = err
				return fmt.Errorf("%s: %w", what, err)
			}
			status = ok.StatusFlags
		case proto.ERRHeader:
			// The server is back in the command phase after an ERR.
			return fmt.Errorf("%s: %w", what, proto.ParseERR(p))
		case proto.LocalInfileHeader:
			// LOAD DATA LOCAL INFILE: we never send files; an empty packet
			// declines and the server answers with an ERR.
			if err := c.fr.WritePacket(nil); err != nil {
				return c.fail(ctx, what, c.cfg.WriteTimeout, err)
			}
			continue
		default:
			var dst *Result
			if first {
				dst = res
			}
			if status, err = c.readResultSet(ctx, what, p, dst); err != nil {
				return err
			}
		}
		if status&proto.ServerMoreResultsExist == 0 {
			return nil
		}
	}
}

// readResultSet reads a text result set whose first packet (the column
// count) is p, into res when not nil, and returns the final status flags.
func (c *Conn) readResultSet(ctx context.Context, what string, p []byte, res *Result) (uint16, error) {
	n, _, _, err := proto.ReadLenEncInt(p)
	if err != nil || n == 0 || n > 1<<16 {
		c.broken = fmt.Errorf("bad column count packet % x", p[:min(len(p), 16)])
		return 0, fmt.Errorf("%s: %w", what, c.broken)
	}
	columns := int(n)
	for i := range columns {
		p, err := c.readReply(ctx, what)
		if err != nil {
			return 0, err
		}
		if res != nil {
			def, err := proto.ParseColumnDef(p)
			if err != nil {
				c.broken = err
				return 0, fmt.Errorf("%s: column %d: %w", what, i+1, err)
			}
			res.Columns = append(res.Columns, def.Name)
		}
	}
	if c.caps&proto.ClientDeprecateEOF == 0 {
		p, err := c.readReply(ctx, what)
		if err != nil {
			return 0, err
		}
		if !proto.IsEOF(p) {
			c.broken = fmt.Errorf("expected EOF after column definitions, got 0x%02x", p[0])
			return 0, fmt.Errorf("%s: %w", what, c.broken)
		}
	}
	for {
		p, err := c.readReply(ctx, what)
		if err != nil {
			return 0, err
		}
		switch {
		case proto.IsERR(p):
			return 0, fmt.Errorf("%s: %w", what, proto.ParseERR(p))
		case proto.IsEOF(p):
			e, _ := proto.ParseEOF(p)
			return e.StatusFlags, nil
		}
		if res == nil {
			continue
		}
		c.row, err = proto.ParseTextRow(c.row, p, columns)
		if err != nil {
			c.broken = err
			return 0, fmt.Errorf("%s: row %d: %w", what, len(res.Rows)+1, err)
		}
		row := make([]sql.NullString, columns)
		for i, v := range c.row {
			if v != nil {
				row[i] = sql.NullString{String: string(v), Valid: true}
			}
		}
		res.Rows = append(res.Rows, row)
	}
}

// abbreviate names a statement in error messages by its first two words
// only ("SET @master_binlog_checksum", "CREATE USER"): enough to tell which
// call failed, and never the literals that follow, which may be secrets.
func abbreviate(q string) string {
	f := strings.Fields(q)
	if len(f) > 2 {
		f = f[:2]
	}
	s := strings.Join(f, " ")
	if len(s) > 40 {
		s = s[:40]
	}
	return strconv.Quote(s)
}

// RegisterReplica sends COM_REGISTER_SLAVE and waits for its OK.
func (c *Conn) RegisterReplica(ctx context.Context, r proto.RegisterReplica) error {
	defer c.end()
	if err := c.begin(ctx, c.cfg.ReadTimeout, c.cfg.WriteTimeout); err != nil {
		return err
	}
	for name, s := range map[string]string{"host": r.Host, "user": r.User, "password": r.Password} {
		if len(s) > 255 {
			return fmt.Errorf("register replica: %s is %d bytes, the protocol allows 255", name, len(s))
		}
	}
	const what = "register replica"
	if err := c.writeCommand(ctx, what, r.Append(c.wbuf[:0])); err != nil {
		return err
	}
	p, err := c.readReply(ctx, what)
	if err != nil {
		return err
	}
	switch p[0] {
	case proto.OKHeader:
		return nil
	case proto.ERRHeader:
		return fmt.Errorf("%s: %w", what, proto.ParseERR(p))
	}
	c.broken = fmt.Errorf("unexpected reply 0x%02x", p[0])
	return fmt.Errorf("%s: %w", what, c.broken)
}

// StartBinlogDump sends COM_BINLOG_DUMP. It does not wait for a reply: the
// server answers with the stream (or an ERR), read with ReadEvent.
func (c *Conn) StartBinlogDump(ctx context.Context, d proto.BinlogDump) error {
	defer c.end()
	if err := c.begin(ctx, 0, c.cfg.WriteTimeout); err != nil {
		return err
	}
	return c.writeCommand(ctx, "start binlog dump", d.Append(c.wbuf[:0]))
}

// StartBinlogDumpGTID sends MySQL's COM_BINLOG_DUMP_GTID (MariaDB does not
// implement it). Like StartBinlogDump it does not wait for a reply.
func (c *Conn) StartBinlogDumpGTID(ctx context.Context, d proto.BinlogDumpGTID) error {
	defer c.end()
	if err := c.begin(ctx, 0, c.cfg.WriteTimeout); err != nil {
		return err
	}
	return c.writeCommand(ctx, "start binlog dump (GTID)", d.Append(c.wbuf[:0]))
}

// ReadEvent reads one packet of a binlog dump. It returns the event bytes
// (the packet without its leading 0x00 status byte), valid until the next
// call on the Conn (the read buffer is reused: copy what you keep). It
// returns io.EOF when the server ends the dump with an EOF packet
// (BinlogDumpNonBlock at the end of the binlog), a *proto.ServerError for
// an ERR packet (e.g. 1236 for a purged log), an error wrapping os.ErrDeadlineExceeded and
// ErrReadTimeout when no packet arrived within timeout (0 = no timeout), and
// ctx.Err() when ctx is cancelled while waiting. After any error, io.EOF
// included (MariaDB closes the connection when a non-blocking dump ends),
// the Conn is unusable: close it.
//
// In a loop with the same ctx, ReadEvent allocates nothing.
func (c *Conn) ReadEvent(ctx context.Context, timeout time.Duration) ([]byte, error) {
	p, err := c.readEvent(ctx, timeout, nil, false)
	if err != nil {
		return nil, err
	}
	return p[1:], nil
}

// ReadEventTo is ReadEvent reading the packet into buf (growing it as
// needed) instead of the Conn's own buffer, for callers that keep several
// events at once: it saves a copy. It returns the event and the buffer
// holding it (the event is buf[1:]), to be reused for a later call.
func (c *Conn) ReadEventTo(ctx context.Context, timeout time.Duration, buf []byte) (event, grown []byte, err error) {
	p, err := c.readEvent(ctx, timeout, buf, true)
	if err != nil {
		return nil, buf, err
	}
	return p[1:], p, nil
}

func (c *Conn) readEvent(ctx context.Context, timeout time.Duration, buf []byte, into bool) ([]byte, error) {
	defer c.end()
	if err := c.begin(ctx, timeout, 0); err != nil {
		return nil, err
	}
	var p []byte
	var err error
	if into {
		p, err = c.fr.ReadPacketTo(buf)
	} else {
		p, err = c.fr.ReadPacket()
	}
	if err != nil {
		if err == io.EOF {
			// The socket closed without an EOF packet: not the end of the
			// dump the caller asked for.
			err = fmt.Errorf("server closed the connection: %w", io.ErrUnexpectedEOF)
		}
		return nil, c.fail(ctx, "read binlog event", timeout, err)
	}
	if len(p) == 0 {
		c.broken = errors.New("empty packet in the binlog stream")
		return nil, c.broken
	}
	switch p[0] {
	case proto.OKHeader:
		return p, nil
	case proto.ERRHeader:
		// The dump is over; whether the server keeps the connection
		// varies, so treat it as finished.
		se := proto.ParseERR(p)
		c.broken = se
		return nil, fmt.Errorf("binlog dump: %w", se)
	case proto.EOFHeader:
		if len(p) < 9 {
			// MariaDB closes the connection after a non-blocking dump
			// ends, so the Conn is done either way.
			c.broken = errors.New("the binlog dump ended (EOF packet)")
			return nil, io.EOF
		}
	}
	c.broken = fmt.Errorf("unexpected packet 0x%02x of %d bytes in the binlog stream", p[0], len(p))
	return nil, c.broken
}
