// Package importer brings a shop's past orders into Afterglow from the files its platform exports,
// as history: events that update customers (orders count, spending, first and last order) without
// starting any journey.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/event"
	"github.com/afterglowhq/afterglow/importer/shopifycsv"
)

// ShopifyFiles are the files of one Shopify shop's export: Shopify sends a large shop's export
// in several files (orders_export_1.csv, _2, ...), which are read as one. Customers is optional.
type ShopifyFiles struct {
	Orders    []string
	Customers []string
}

// Options configure an import.
type Options struct {
	// Source is the events' source; see shopifycsv.Converter.
	Source string
	// SkipBad imports what is good and leaves out the orders and customers with problems. Without
	// it a file with any problem imports nothing.
	SkipBad bool
	// BatchSize is how many events go to Ingest at once (default 1000).
	BatchSize int
	// Lanes is how many batches are handed to Ingest at once (default 1); a customer's events
	// always go through the same lane, in order.
	Lanes int
	// Ingest stores and processes a batch of events, all or nothing, and says how many were new.
	// With several lanes it is called from as many goroutines.
	Ingest func(ctx context.Context, evs []event.Event) (stored, duplicates int, err error)
	// Progress, when set, is called after each batch, one call at a time.
	Progress func(*Summary)
	// MaxProblems bounds the problems kept in the summary (default 100); the rest are counted.
	MaxProblems int
	// Now dates the customers of an export whose orders file holds no order.
	Now func() time.Time
}

// Summary says what an import found and did.
type Summary struct {
	OrderRows     int // data rows of the orders file
	Orders        int // good orders
	Cancelled     int // of the orders imported
	Refunded      int // of the orders imported
	NoEmail       int // good orders without an email: left out, nobody can be said to have bought them
	Customers     int // good rows of the customers file
	Unidentified  int // customer rows with neither a Customer ID nor an email: left out
	Buyers        int // customers with at least one order imported
	Bad           int // orders and customer rows with problems
	Problems      []error
	MoreProblems  int // problems beyond those kept
	Warnings      []string
	From, To      time.Time // first and last order
	Events        int       // events handed to Ingest
	Stored        int       // of which new
	Duplicates    int       // of which already stored (a repeated import)
	OrdersWritten int       // orders whose events were handed to Ingest (set at the end)

	maxProblems int
}

// ErrBadRows stops an import that found problems, before anything is stored.
var ErrBadRows = errors.New("the files have problems: nothing was imported")

// Shopify imports a Shopify export: it reads every file once to check it (and to learn each
// customer's first order), stops there when anything is wrong unless SkipBad, then reads the
// orders again to hand their events over in batches, and the customers last, so that the
// customers file's current details and consent win over what older orders said. Memory grows
// with the number of customers (an id and a time each), never with the orders.
func Shopify(ctx context.Context, files ShopifyFiles, opts Options) (*Summary, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.Lanes <= 0 {
		opts.Lanes = 1
	}
	if opts.MaxProblems <= 0 {
		opts.MaxProblems = 100
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Summary{maxProblems: opts.MaxProblems}
	conv := &shopifycsv.Converter{Source: opts.Source, IDs: map[string]string{}, FirstOrder: map[string]time.Time{}}
	var latest time.Time

	// Check the customers, and learn the id of each email.
	if len(files.Customers) > 0 {
		dups := 0
		err := eachCustomer(files.Customers, s, func(cu *shopifycsv.Customer) error {
			s.Customers++
			if e := shopifycsv.NormEmail(cu.Email); e != "" && cu.ID != "" {
				if prev, ok := conv.IDs[e]; ok && prev != cu.ID {
					dups++
					return nil
				}
				// Copies: a value read from the file shares the memory of its whole row, which a
				// map kept for the import's length must not hold on to.
				conv.IDs[strings.Clone(e)] = strings.Clone(cu.ID)
			}
			return nil
		})
		if err != nil {
			return s, err
		}
		if dups > 0 {
			s.Warnings = append(s.Warnings, fmt.Sprintf("%s: emails that belong to more than one Customer ID: %d; their orders go to the first customer listed with the email", strings.Join(files.Customers, ", "), dups))
		}
	}

	// Check the orders, and learn each customer's first order.
	err := eachOrder(files.Orders, s, func(o *shopifycsv.Order) error {
		s.Orders++
		for _, t := range []time.Time{o.CreatedAt, o.PaidAt, o.FulfilledAt, o.CancelledAt} {
			if t.After(latest) {
				latest = t
			}
		}
		if s.From.IsZero() || o.CreatedAt.Before(s.From) {
			s.From = o.CreatedAt
		}
		if o.CreatedAt.After(s.To) {
			s.To = o.CreatedAt
		}
		subject, _ := conv.Subject(o.Email)
		if subject == "" {
			s.NoEmail++
			return nil
		}
		if o.Cancelled() {
			s.Cancelled++
		}
		if _, ok := shopifycsv.Refunded(o); ok {
			s.Refunded++
		}
		if first, ok := conv.FirstOrder[subject]; !ok {
			conv.FirstOrder[strings.Clone(subject)] = o.CreatedAt
		} else if o.CreatedAt.Before(first) {
			conv.FirstOrder[subject] = o.CreatedAt
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	s.Buyers = len(conv.FirstOrder)
	if s.NoEmail > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s: orders without an Email: %d (point-of-sale or cash-on-delivery sales without a customer): they are left out, since nobody can be said to have bought them", strings.Join(files.Orders, ", "), s.NoEmail))
	}
	if s.Bad > 0 && !opts.SkipBad {
		return s, ErrBadRows
	}
	if latest.IsZero() {
		latest = opts.Now()
	}

	// Hand the events over.
	ln := newLanes(ctx, opts.Lanes, opts.BatchSize, opts.Ingest, s, opts.Progress)
	add := ln.add
	// Counted apart and set once the lanes are done: the lanes read the summary meanwhile.
	written, unidentified := 0, 0
	defer func() { s.OrdersWritten, s.Unidentified = written, unidentified }()
	quiet := &Summary{} // the second reading finds the same problems: they are counted once
	err = eachOrder(files.Orders, quiet, func(o *shopifycsv.Order) error {
		evs := conv.OrderEvents(o)
		if len(evs) > 0 {
			written++
		}
		return add(evs...)
	})
	if err != nil {
		_ = ln.close()
		return s, err
	}
	if len(files.Customers) > 0 {
		err = eachCustomer(files.Customers, quiet, func(cu *shopifycsv.Customer) error {
			if !cu.Known() {
				unidentified++
				return nil
			}
			return add(conv.CustomerEvent(cu, latest))
		})
		if err != nil {
			_ = ln.close()
			return s, err
		}
	}
	if err := ln.close(); err != nil {
		return s, err
	}
	if unidentified > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s: customers with neither a Customer ID nor an Email: %d; they are left out", strings.Join(files.Customers, ", "), unidentified))
	}
	return s, nil
}

func (s *Summary) problem(err error) error {
	var ps shopifycsv.Problems
	if !errors.As(err, &ps) {
		return err // the file could not be read: stop
	}
	s.Bad++
	for _, p := range ps {
		if len(s.Problems) < s.maxProblems {
			s.Problems = append(s.Problems, p)
		} else {
			s.MoreProblems++
		}
	}
	return nil
}

// exportReader is what each of Shopify's export readers offers.
type exportReader[T any] interface {
	Next() (*T, error)
	Warnings() []string
}

// eachOrder reads the orders of every file in turn.
func eachOrder(paths []string, s *Summary, fn func(*shopifycsv.Order) error) error {
	countRows := func(r *shopifycsv.OrderReader) { s.OrderRows += r.Rows() }
	return eachRecord(paths, s, shopifycsv.NewOrderReader, countRows, fn)
}

// eachCustomer reads the customers of every file in turn.
func eachCustomer(paths []string, s *Summary, fn func(*shopifycsv.Customer) error) error {
	return eachRecord(paths, s, shopifycsv.NewCustomerReader, nil, fn)
}

// eachRecord reads every file's records, keeping a bad record's problems in the summary and going
// on with the next one; only a file that cannot be read stops it. done, when set, sees each reader
// once its file is read.
func eachRecord[T any, R exportReader[T]](paths []string, s *Summary, open func(io.Reader, string) (R, error), done func(R), fn func(*T) error) error {
	for _, p := range paths {
		if err := eachRecordOf(p, s, open, done, fn); err != nil {
			return err
		}
	}
	return nil
}

func eachRecordOf[T any, R exportReader[T]](path string, s *Summary, open func(io.Reader, string) (R, error), done func(R), fn func(*T) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := open(f, path)
	if err != nil {
		return err
	}
	s.Warnings = append(s.Warnings, r.Warnings()...)
	if done != nil {
		defer done(r)
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if err := s.problem(err); err != nil {
				return err
			}
			continue
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}
