package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/seed5aa6e046/syncer/test/harness"
)

// openSource opens one connection to the demo MariaDB with the session
// time zone UTC, so that TIMESTAMP values are written and read unambiguously.
func openSource(ctx context.Context, db *harness.MariaDB) (*sql.Conn, error) {
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to MariaDB: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SET time_zone = '+00:00'"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("MariaDB: SET time_zone: %w", err)
	}
	return conn, nil
}

// schemaDDL creates the demo database.
var schemaDDL = []string{
	"CREATE DATABASE demo CHARACTER SET utf8mb4",
	`CREATE TABLE demo.customers (
		id INT UNSIGNED NOT NULL PRIMARY KEY,
		name VARCHAR(100) CHARACTER SET utf8mb4 NOT NULL,
		email VARCHAR(200) NOT NULL,
		created DATETIME(3) NOT NULL
	)`,
	`CREATE TABLE demo.products (
		id INT UNSIGNED NOT NULL PRIMARY KEY,
		name VARCHAR(100) NOT NULL,
		price DECIMAL(8,2) NOT NULL,
		in_stock TINYINT(1) NOT NULL DEFAULT 1,
		added DATETIME NOT NULL,
		restocked DATETIME(6) NULL,
		image BLOB NULL,
		tags SET('new','sale','eco','gift','limited') NOT NULL DEFAULT ''
	)`,
	`CREATE TABLE demo.orders (
		id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
		customer_id INT UNSIGNED NOT NULL,
		total DECIMAL(10,2) NOT NULL,
		status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
		placed TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
		note JSON NULL
	)`,
	`CREATE TABLE demo.order_items (
		order_id BIGINT UNSIGNED NOT NULL,
		product_id INT UNSIGNED NOT NULL,
		qty SMALLINT UNSIGNED NOT NULL,
		unit_price DECIMAL(8,2) NOT NULL,
		PRIMARY KEY (order_id, product_id)
	)`,
}

// The mid-workload schema changes; the workload uses the new columns after.
var alterDDL = []string{
	"ALTER TABLE demo.customers ADD COLUMN loyalty_points INT NOT NULL DEFAULT 100",
	"ALTER TABLE demo.orders RENAME COLUMN note TO details",
}

const (
	initialCustomers = 80
	initialProducts  = 40
	initialOrders    = 120
)

var (
	firstNames = []string{"Ada", "Jürgen", "Søren", "Zoë", "José", "Łukasz", "Дмитрий", "Αλέξης", "太郎", "美咲",
		"Nguyễn", "Chloé", "François", "İlkay", "Björk", "Ólafur", "Małgorzata", "Siobhán", "Ngozi", "Ana 🚀"}
	lastNames = []string{"Lovelace", "Müller", "Kierkegaard", "Ørsted", "García", "Wałęsa", "Иванов", "Παπαδόπουλος",
		"山田", "佐藤", "Văn An", "Dupont", "Yılmaz", "Guðmundsdóttir", "O'Brien", "Ñúñez", "Smith 😀", "Kowalska"}
	productWords = []string{"Kaffee", "Tee", "Crème", "Smørrebrød", "Mochi", "Pão", "Halva", "Čaj", "Glögg", "Matcha",
		"Baklava", "Stroopwafel"}
	statuses = []string{"new", "paid", "shipped", "cancelled"}
	tagNames = []string{"new", "sale", "eco", "gift", "limited"}
)

// workload is the demo's random shop traffic. It keeps a model of the
// keys it created so that every statement hits a row that exists.
type workload struct {
	rnd *rand.Rand
	now time.Time // base of generated timestamps

	customers, products, orders *idSet
	items                       map[[2]uint64]bool
	itemsByOrder                map[uint64][]uint64
	nextCustomer, nextProduct   uint64
	nextOrder                   uint64
	altered                     bool

	// per-second counters
	txs, ins, upd, del, pk int
}

func newWorkload(seed int64) *workload {
	return &workload{
		rnd:       rand.New(rand.NewPCG(uint64(seed), uint64(seed)>>32^0x5eed)),
		now:       time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC),
		customers: &idSet{}, products: &idSet{}, orders: &idSet{},
		items:        map[[2]uint64]bool{},
		itemsByOrder: map[uint64][]uint64{},
		nextCustomer: 1, nextProduct: 1, nextOrder: 1000,
	}
}

// setup creates the schema and the initial rows, in a few transactions.
func (w *workload) setup(ctx context.Context, conn *sql.Conn, out *console) error {
	for _, q := range schemaDDL {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("MariaDB: %s: %w", oneLine(q), err)
		}
		out.printf("   %s\n", clip(oneLine(q), 110))
	}
	err := w.tx(ctx, conn, func(tx *sql.Tx) error {
		for range initialCustomers {
			if err := w.insertCustomer(ctx, tx); err != nil {
				return err
			}
		}
		for range initialProducts {
			if err := w.insertProduct(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := 0; i < initialOrders; i += 20 {
		err := w.tx(ctx, conn, func(tx *sql.Tx) error {
			for range 20 {
				if err := w.insertOrder(ctx, tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	out.printf("   inserted %d customers, %d products, %d orders with %d order items\n",
		w.customers.len(), w.products.len(), w.orders.len(), len(w.items))
	w.txs, w.ins, w.upd, w.del, w.pk = 0, 0, 0, 0, 0
	return nil
}

// run changes the source for d, printing a line a second and, half-way,
// the ALTER TABLEs. It stops early with alive's error once syncer exits.
func (w *workload) run(ctx context.Context, conn *sql.Conn, d time.Duration, alive func() error, out *console) error {
	start := time.Now()
	end := start.Add(d)
	alterAt := start.Add(d / 2)
	nextReport := start.Add(time.Second)
	nextPK := start.Add(700 * time.Millisecond)
	for {
		now := time.Now()
		if err := alive(); err != nil {
			return err
		}
		if !w.altered && !now.Before(alterAt) {
			for _, q := range alterDDL {
				if _, err := conn.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("MariaDB: %s: %w", q, err)
				}
				out.printf("   %5.1fs  %s\n", now.Sub(start).Seconds(), q)
			}
			w.altered = true
		}
		if !now.Before(nextReport) || !now.Before(end) {
			out.printf("   %5.1fs  %3d transactions: %3d inserts, %3d updates, %3d deletes, %d primary-key changes\n",
				now.Sub(start).Seconds(), w.txs, w.ins, w.upd, w.del, w.pk)
			w.txs, w.ins, w.upd, w.del, w.pk = 0, 0, 0, 0, 0
			nextReport = nextReport.Add(time.Second)
		}
		if !now.Before(end) {
			return nil
		}
		pkChange := !now.Before(nextPK)
		if pkChange {
			nextPK = nextPK.Add(1500 * time.Millisecond)
		}
		if err := w.tx(ctx, conn, func(tx *sql.Tx) error {
			if pkChange {
				if err := w.changeKey(ctx, tx); err != nil {
					return err
				}
			}
			for range 1 + w.rnd.IntN(5) {
				if err := w.randomOp(ctx, tx); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(20+w.rnd.IntN(40)) * time.Millisecond):
		}
	}
}

// tx runs f in one transaction.
func (w *workload) tx(ctx context.Context, conn *sql.Conn, f func(*sql.Tx) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("MariaDB: BEGIN: %w", err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("MariaDB: COMMIT: %w", err)
	}
	w.txs++
	return nil
}

func (w *workload) exec(ctx context.Context, tx *sql.Tx, counter *int, q string, args ...any) error {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("MariaDB: %s: %w", oneLine(q), err)
	}
	n, _ := res.RowsAffected()
	*counter += int(n)
	return nil
}

func (w *workload) randomOp(ctx context.Context, tx *sql.Tx) error {
	switch r := w.rnd.IntN(100); {
	case r < 12:
		return w.insertCustomer(ctx, tx)
	case r < 24:
		return w.updateCustomer(ctx, tx)
	case r < 28:
		return w.deleteCustomer(ctx, tx)
	case r < 33:
		return w.insertProduct(ctx, tx)
	case r < 45:
		return w.updateProduct(ctx, tx)
	case r < 47:
		return w.deleteProduct(ctx, tx)
	case r < 60:
		return w.insertOrder(ctx, tx)
	case r < 75:
		return w.updateOrder(ctx, tx)
	case r < 80:
		return w.deleteOrder(ctx, tx)
	case r < 92:
		return w.updateItem(ctx, tx)
	default:
		return w.deleteItem(ctx, tx)
	}
}

// Value generators.

func (w *workload) pick(s []string) string { return s[w.rnd.IntN(len(s))] }

func (w *workload) name() string { return w.pick(firstNames) + " " + w.pick(lastNames) }

func (w *workload) email(name string, id uint64) string {
	local := strings.ToLower(strings.Fields(name)[0])
	return fmt.Sprintf("%s.%d@example.%s", local, id, w.pick([]string{"com", "de", "jp", "fr", "рф"}))
}

// datetime returns a time within a year before w.now, truncated to the
// given number of fractional digits, as MariaDB's literal.
func (w *workload) datetime(fsp int) string {
	t := w.now.Add(-time.Duration(w.rnd.Int64N(int64(365 * 24 * time.Hour))))
	layout := "2006-01-02 15:04:05"
	if fsp > 0 {
		layout += "." + strings.Repeat("0", fsp)
	}
	return t.Format(layout)
}

func (w *workload) money(max int) string {
	return fmt.Sprintf("%d.%02d", w.rnd.IntN(max), w.rnd.IntN(100))
}

func (w *workload) tags() string {
	var ts []string
	for _, t := range tagNames {
		if w.rnd.IntN(3) == 0 {
			ts = append(ts, t)
		}
	}
	return strings.Join(ts, ",")
}

func (w *workload) blob() any {
	if w.rnd.IntN(6) == 0 {
		return nil
	}
	b := make([]byte, 8+w.rnd.IntN(120))
	for i := range b {
		b[i] = byte(w.rnd.IntN(256))
	}
	return b
}

func (w *workload) note() any {
	if w.rnd.IntN(4) == 0 {
		return nil
	}
	m := map[string]any{"channel": w.pick([]string{"web", "app", "phone", "store"})}
	if w.rnd.IntN(2) == 0 {
		m["gift"] = w.rnd.IntN(2) == 0
	}
	if w.rnd.IntN(3) == 0 {
		m["coupon"] = w.pick([]string{"SPRING", "WINTER-10", "Grüße 🎁"})
	}
	if w.rnd.IntN(3) == 0 {
		m["rating"] = float64(w.rnd.IntN(50)) / 10
	}
	if w.rnd.IntN(3) == 0 {
		m["lines"] = []any{w.rnd.IntN(10), w.pick(productWords), nil}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// Operations.

func (w *workload) insertCustomer(ctx context.Context, tx *sql.Tx) error {
	id := w.nextCustomer
	w.nextCustomer++
	name := w.name()
	q := "INSERT INTO demo.customers (id, name, email, created) VALUES (?, ?, ?, ?)"
	args := []any{id, name, w.email(name, id), w.datetime(3)}
	if w.altered {
		q = "INSERT INTO demo.customers (id, name, email, created, loyalty_points) VALUES (?, ?, ?, ?, ?)"
		args = append(args, w.rnd.IntN(1000))
	}
	if err := w.exec(ctx, tx, &w.ins, q, args...); err != nil {
		return err
	}
	w.customers.add(id)
	return nil
}

func (w *workload) updateCustomer(ctx context.Context, tx *sql.Tx) error {
	id, ok := w.customers.random(w.rnd)
	if !ok {
		return w.insertCustomer(ctx, tx)
	}
	if w.altered && w.rnd.IntN(2) == 0 {
		return w.exec(ctx, tx, &w.upd, "UPDATE demo.customers SET loyalty_points = loyalty_points + ? WHERE id = ?", 1+w.rnd.IntN(50), id)
	}
	name := w.name()
	return w.exec(ctx, tx, &w.upd, "UPDATE demo.customers SET name = ?, email = ? WHERE id = ?", name, w.email(name, id), id)
}

func (w *workload) deleteCustomer(ctx context.Context, tx *sql.Tx) error {
	if w.customers.len() < 20 {
		return w.insertCustomer(ctx, tx)
	}
	id, _ := w.customers.random(w.rnd)
	if err := w.exec(ctx, tx, &w.del, "DELETE FROM demo.customers WHERE id = ?", id); err != nil {
		return err
	}
	w.customers.remove(id)
	return nil
}

func (w *workload) insertProduct(ctx context.Context, tx *sql.Tx) error {
	id := w.nextProduct
	w.nextProduct++
	name := fmt.Sprintf("%s %s Nr. %d", w.pick(productWords), w.pick([]string{"Classic", "Deluxe", "Mini", "Bio"}), id)
	var restocked any
	if w.rnd.IntN(2) == 0 {
		restocked = w.datetime(6)
	}
	err := w.exec(ctx, tx, &w.ins, "INSERT INTO demo.products (id, name, price, in_stock, added, restocked, image, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		id, name, w.money(200), w.rnd.IntN(2), w.datetime(0), restocked, w.blob(), w.tags())
	if err != nil {
		return err
	}
	w.products.add(id)
	return nil
}

func (w *workload) updateProduct(ctx context.Context, tx *sql.Tx) error {
	id, ok := w.products.random(w.rnd)
	if !ok {
		return w.insertProduct(ctx, tx)
	}
	switch w.rnd.IntN(4) {
	case 0:
		return w.exec(ctx, tx, &w.upd, "UPDATE demo.products SET price = ?, tags = ? WHERE id = ?", w.money(200), w.tags(), id)
	case 1:
		return w.exec(ctx, tx, &w.upd, "UPDATE demo.products SET in_stock = 1 - in_stock, restocked = ? WHERE id = ?", w.datetime(6), id)
	case 2:
		return w.exec(ctx, tx, &w.upd, "UPDATE demo.products SET image = ? WHERE id = ?", w.blob(), id)
	default:
		return w.exec(ctx, tx, &w.upd, "UPDATE demo.products SET price = price * 1.1, restocked = NULL WHERE id = ?", id)
	}
}

func (w *workload) deleteProduct(ctx context.Context, tx *sql.Tx) error {
	if w.products.len() < 20 {
		return w.insertProduct(ctx, tx)
	}
	id, _ := w.products.random(w.rnd)
	if err := w.exec(ctx, tx, &w.del, "DELETE FROM demo.products WHERE id = ?", id); err != nil {
		return err
	}
	w.products.remove(id)
	return nil
}

func (w *workload) noteColumn() string {
	if w.altered {
		return "details"
	}
	return "note"
}

// insertOrder inserts an order with one to four items.
func (w *workload) insertOrder(ctx context.Context, tx *sql.Tx) error {
	cust, ok := w.customers.random(w.rnd)
	if !ok || w.products.len() == 0 {
		return w.insertCustomer(ctx, tx)
	}
	id := w.nextOrder
	w.nextOrder++
	err := w.exec(ctx, tx, &w.ins, "INSERT INTO demo.orders (id, customer_id, total, status, placed, "+w.noteColumn()+") VALUES (?, ?, ?, ?, ?, ?)",
		id, cust, w.money(500), w.pick(statuses), w.datetime(3), w.note())
	if err != nil {
		return err
	}
	w.orders.add(id)
	for range 1 + w.rnd.IntN(4) {
		prod, _ := w.products.random(w.rnd)
		if w.items[[2]uint64{id, prod}] {
			continue
		}
		if err := w.exec(ctx, tx, &w.ins, "INSERT INTO demo.order_items (order_id, product_id, qty, unit_price) VALUES (?, ?, ?, ?)",
			id, prod, 1+w.rnd.IntN(9), w.money(100)); err != nil {
			return err
		}
		w.addItem(id, prod)
	}
	return nil
}

func (w *workload) updateOrder(ctx context.Context, tx *sql.Tx) error {
	id, ok := w.orders.random(w.rnd)
	if !ok {
		return w.insertOrder(ctx, tx)
	}
	switch w.rnd.IntN(3) {
	case 0:
		return w.exec(ctx, tx, &w.upd, "UPDATE demo.orders SET status = ? WHERE id = ?", w.pick(statuses), id)
	case 1:
		return w.exec(ctx, tx, &w.upd, "UPDATE demo.orders SET "+w.noteColumn()+" = ?, placed = ? WHERE id = ?", w.note(), w.datetime(3), id)
	default:
		return w.exec(ctx, tx, &w.upd, "UPDATE demo.orders SET total = total + ? WHERE id = ?", w.money(20), id)
	}
}

func (w *workload) deleteOrder(ctx context.Context, tx *sql.Tx) error {
	if w.orders.len() < 40 {
		return w.insertOrder(ctx, tx)
	}
	id, _ := w.orders.random(w.rnd)
	if err := w.exec(ctx, tx, &w.del, "DELETE FROM demo.order_items WHERE order_id = ?", id); err != nil {
		return err
	}
	if err := w.exec(ctx, tx, &w.del, "DELETE FROM demo.orders WHERE id = ?", id); err != nil {
		return err
	}
	for _, p := range w.itemsByOrder[id] {
		delete(w.items, [2]uint64{id, p})
	}
	delete(w.itemsByOrder, id)
	w.orders.remove(id)
	return nil
}

func (w *workload) randomItem() ([2]uint64, bool) {
	id, ok := w.orders.random(w.rnd)
	if !ok || len(w.itemsByOrder[id]) == 0 {
		return [2]uint64{}, false
	}
	ps := w.itemsByOrder[id]
	return [2]uint64{id, ps[w.rnd.IntN(len(ps))]}, true
}

func (w *workload) addItem(order, product uint64) {
	w.items[[2]uint64{order, product}] = true
	w.itemsByOrder[order] = append(w.itemsByOrder[order], product)
}

func (w *workload) removeItem(order, product uint64) {
	delete(w.items, [2]uint64{order, product})
	ps := w.itemsByOrder[order]
	for i, p := range ps {
		if p == product {
			w.itemsByOrder[order] = append(ps[:i:i], ps[i+1:]...)
			break
		}
	}
}

func (w *workload) updateItem(ctx context.Context, tx *sql.Tx) error {
	it, ok := w.randomItem()
	if !ok {
		return w.insertOrder(ctx, tx)
	}
	return w.exec(ctx, tx, &w.upd, "UPDATE demo.order_items SET qty = qty + 1, unit_price = ? WHERE order_id = ? AND product_id = ?",
		w.money(100), it[0], it[1])
}

func (w *workload) deleteItem(ctx context.Context, tx *sql.Tx) error {
	it, ok := w.randomItem()
	if !ok {
		return w.insertOrder(ctx, tx)
	}
	if err := w.exec(ctx, tx, &w.del, "DELETE FROM demo.order_items WHERE order_id = ? AND product_id = ?", it[0], it[1]); err != nil {
		return err
	}
	w.removeItem(it[0], it[1])
	return nil
}

// changeKey changes a primary key: a customer's id (and its orders'
// customer_id), or an order item's product (part of the composite key).
func (w *workload) changeKey(ctx context.Context, tx *sql.Tx) error {
	if w.rnd.IntN(2) == 0 {
		if it, ok := w.randomItem(); ok {
			prod, _ := w.products.random(w.rnd)
			if !w.items[[2]uint64{it[0], prod}] {
				if err := w.exec(ctx, tx, &w.pk, "UPDATE demo.order_items SET product_id = ? WHERE order_id = ? AND product_id = ?",
					prod, it[0], it[1]); err != nil {
					return err
				}
				w.removeItem(it[0], it[1])
				w.addItem(it[0], prod)
				return nil
			}
		}
	}
	old, ok := w.customers.random(w.rnd)
	if !ok {
		return nil
	}
	id := w.nextCustomer
	w.nextCustomer++
	if err := w.exec(ctx, tx, &w.pk, "UPDATE demo.customers SET id = ? WHERE id = ?", id, old); err != nil {
		return err
	}
	if err := w.exec(ctx, tx, &w.upd, "UPDATE demo.orders SET customer_id = ? WHERE customer_id = ?", id, old); err != nil {
		return err
	}
	w.customers.remove(old)
	w.customers.add(id)
	return nil
}

// idSet is a set of ids with uniform random choice.
type idSet struct {
	ids []uint64
	at  map[uint64]int
}

func (s *idSet) len() int { return len(s.ids) }

func (s *idSet) add(id uint64) {
	if s.at == nil {
		s.at = map[uint64]int{}
	}
	if _, ok := s.at[id]; ok {
		return
	}
	s.at[id] = len(s.ids)
	s.ids = append(s.ids, id)
}

func (s *idSet) remove(id uint64) {
	i, ok := s.at[id]
	if !ok {
		return
	}
	last := s.ids[len(s.ids)-1]
	s.ids[i] = last
	s.at[last] = i
	s.ids = s.ids[:len(s.ids)-1]
	delete(s.at, id)
}

func (s *idSet) random(r *rand.Rand) (uint64, bool) {
	if len(s.ids) == 0 {
		return 0, false
	}
	return s.ids[r.IntN(len(s.ids))], true
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}
