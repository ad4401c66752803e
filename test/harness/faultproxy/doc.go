// Package faultproxy is a TCP proxy for tests that breaks connections on
// purpose, at exact byte offsets.
//
// A client connects to Proxy.Addr() instead of the server; every accepted
// connection is forwarded to the target address given to Start. Until told
// otherwise the proxy is transparent. A test then injects faults:
//
//   - Drop closes both sides cleanly: the client reads a FIN (io.EOF).
//   - Reset closes both sides with an RST (SO_LINGER 0): the client's next
//     read or write fails with ECONNRESET. An RST makes the kernel discard
//     data the peer has not acknowledged, so the proxy stops forwarding at
//     the offset and sends the RST only once the client's kernel has
//     acknowledged the bytes before it (on Linux, polling TIOCOUTQ, for at
//     most 5s): the client still reads exactly those bytes first.
//   - Stall stops forwarding in both directions for Options.StallFor and then
//     drops the connection, so a client with a read deadline shorter than
//     StallFor sees its deadline fire.
//
// Faults are placed by counting bytes that flow server→client. A fault
// scheduled "after n bytes" lets exactly n more bytes reach the client and
// then strikes, splitting a read buffer if needed, so faults land inside
// protocol packets and packet headers, not only between them.
//
// # Ways to inject a fault
//
//   - FaultAfter(f, n): one shot. The newest open connection that has not
//     been faulted suffers f after n more server→client bytes; when no
//     connection is open, the next accepted connection does (counting from
//     its first byte). n = 0 strikes at once.
//   - CutAll(f): every open connection suffers f now.
//   - SetFaults(true): random faults. Every connection, open or new, gets a
//     fault drawn from Options.Faults after a number of bytes drawn from
//     [Options.MinBytes, Options.MaxBytes]. The draw for the k-th accepted
//     connection (k = 1, 2, ...) comes from a generator seeded with
//     (Options.Seed, k) only, so a run that failed is replayed by passing
//     the Seed() it reported. Turning random faults off cancels the random
//     schedules that have not struck yet (one-shot faults stay).
//   - Refuse(true): accepted connections are closed at once, before the
//     target is dialled, which looks like a server that went away.
//
// Stats reports connections, faults by kind and the bytes forwarded in each
// direction. Close stops the listener, closes every connection and waits
// for every goroutine of the proxy, so that tests can check for leaks.
//
//	p, err := faultproxy.Start(ctx, db.Addr(), faultproxy.Options{Seed: seed})
//	if err != nil { ... }
//	defer p.Close()
//	t.Logf("fault seed %d", p.Seed())
//	p.FaultAfter(faultproxy.Reset, 1000) // mid-packet, during the dump
package faultproxy
