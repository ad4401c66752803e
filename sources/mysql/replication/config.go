package replication

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/seed5aa6e046/syncer/sources/mysql/binlog"
	"github.com/seed5aa6e046/syncer/sources/mysql/client"
)

// Config configures a Stream. Build one with NewConfig, which sets the
// defaults, then change what you need.
type Config struct {
	// Conn is the connection to the source: address, credentials, TLS.
	Conn *client.Config

	// ServerID is the replica server_id Syncer registers with. It must be
	// unique among the source's replicas and differ from the source's own
	// server_id: the source drops an older connection that uses the same
	// id. NewConfig picks a random id in [1<<30, 1<<31); a pipeline sets a
	// fixed one.
	ServerID uint32
	// ReplicaHost is the host name reported in COM_REGISTER_SLAVE (shown by
	// SHOW REPLICAS); default: os.Hostname.
	ReplicaHost string

	// Start is where to start. The zero Position starts at the server's
	// current position. A position with a GTID field set starts in GTID
	// mode and keeps using GTIDs when it reconnects.
	Start Position
	// UntilNow stops the stream (Next returns io.EOF) once every
	// transaction up to the server's position at Open has been delivered.
	UntilNow bool

	// HeartbeatPeriod is the interval at which the source sends a
	// heartbeat when it has nothing else to send; default 5s. Zero after
	// NewConfig is not allowed: without heartbeats an idle stream cannot
	// tell a quiet source from a dead connection.
	HeartbeatPeriod time.Duration
	// ReadTimeout is how long the stream waits for any packet (event or
	// heartbeat) before it declares the connection stalled and reconnects;
	// default 3×HeartbeatPeriod. It must exceed HeartbeatPeriod.
	ReadTimeout time.Duration

	// Reconnect is the back-off between reconnection attempts.
	Reconnect Backoff

	// SkipPreflight skips the server checks Open runs before streaming
	// (see Preflight). Only for servers whose checks cannot run, for
	// example when the account may not run SHOW GRANTS.
	SkipPreflight bool
	// DecoderOptions are passed to the event decoder of each connection.
	DecoderOptions []binlog.DecoderOption
	// Logger receives reconnects and warnings; default slog.Default().
	Logger *slog.Logger
}

// Backoff is an exponential back-off with full jitter: attempt n waits a
// random time in [0, min(Max, Initial·2ⁿ)]. The attempt counter resets when
// a reconnected stream delivers a new event.
type Backoff struct {
	// Initial is the first delay; default 200ms.
	Initial time.Duration
	// Max caps the delay; default 30s.
	Max time.Duration
	// MaxAttempts is how many consecutive failed reconnections end the
	// stream with the last error; 0 retries for as long as the context
	// lives (a replica outlives any source restart).
	MaxAttempts int
}

func (b Backoff) delay(attempt int, rnd *rand.Rand) time.Duration {
	d := b.Initial
	for i := 0; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	// Jitter spreads replicas that lost the same source apart.
	return time.Duration(rnd.Int64N(int64(d)+1))/2 + d/2
}

// NewConfig returns a Config for conn with the defaults set.
func NewConfig(conn *client.Config) *Config {
	return &Config{
		Conn:            conn,
		ServerID:        uint32(1<<30 + rand.Uint32N(1<<30)),
		HeartbeatPeriod: 5 * time.Second,
		Reconnect:       Backoff{Initial: 200 * time.Millisecond, Max: 30 * time.Second},
	}
}

// normalize fills the remaining defaults and checks the settings.
func (c *Config) normalize() error {
	if c.Conn == nil {
		return errors.New("replication: Config.Conn is nil")
	}
	if c.ServerID == 0 {
		return errors.New("replication: server_id 0 is not allowed: the source refuses to stream to it; choose a unique server_id")
	}
	if c.HeartbeatPeriod <= 0 {
		return errors.New("replication: HeartbeatPeriod must be positive: without heartbeats a stalled connection goes unnoticed")
	}
	if c.HeartbeatPeriod > 4294967*time.Second {
		return fmt.Errorf("replication: HeartbeatPeriod %s exceeds the server's maximum (4294967s)", c.HeartbeatPeriod)
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 3 * c.HeartbeatPeriod
	}
	if c.ReadTimeout <= c.HeartbeatPeriod {
		return fmt.Errorf("replication: ReadTimeout %s must exceed HeartbeatPeriod %s, or every quiet moment looks like a stall", c.ReadTimeout, c.HeartbeatPeriod)
	}
	if c.Reconnect.Initial <= 0 {
		c.Reconnect.Initial = 200 * time.Millisecond
	}
	if c.Reconnect.Max < c.Reconnect.Initial {
		c.Reconnect.Max = max(30*time.Second, c.Reconnect.Initial)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Start.GTIDSet != nil && c.Start.MariaDBGTID != nil {
		return errors.New("replication: Start has both a MySQL GTID set and a MariaDB GTID position; set one")
	}
	if c.Start.Mode() == ModeFilePos && c.Start.Pos < 4 {
		c.Start.Pos = 4 // the first event of every file is at 4, after the magic
	}
	return nil
}
