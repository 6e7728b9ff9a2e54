package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/afterglowhq/afterglow/engine/store"
	"github.com/afterglowhq/afterglow/engine/store/pgstore"
	"github.com/afterglowhq/afterglow/inspect"
)

func init() { addCommand(newInspectCmd) }

// inspectOptions are the flags the inspect commands share.
type inspectOptions struct {
	config, db, schema, format string
	configSet                  bool
}

func newInspectCmd(c *cli) *cobra.Command {
	o := &inspectOptions{}
	cmd := &cobra.Command{
		Use:   "inspect customer ID [--flow FLOW] | inspect flow FLOW",
		Short: "Show what the engine stored about a customer or a flow, and why a customer did or did not enter a flow",
		Long: `Reads the database the engine runs on. docs/inspect.md explains every line.

Exit status: 0 done, 1 failed (no such customer or flow), 2 usage.`,
		Example: `  afterglow inspect customer laura --flow review-request
  afterglow inspect flow review-request --format json --db postgres://afterglow@db/afterglow`,
	}
	f := cmd.PersistentFlags()
	f.StringVar(&o.config, "config", "afterglow.yaml", "the workspace's settings file: its database")
	f.StringVar(&o.db, "db", "", "database URL (default: the settings' database, then DATABASE_URL)")
	f.StringVar(&o.schema, "schema", "", "the PostgreSQL schema the tables are in (default: the server's search_path)")
	f.StringVar(&o.format, "format", "text", "output: text or json")
	cmd.AddCommand(newInspectCustomerCmd(c, o), newInspectFlowCmd(c, o))
	return cmd
}

func newInspectCustomerCmd(c *cli, o *inspectOptions) *cobra.Command {
	var flow string
	cmd := &cobra.Command{
		Use:   "customer ID [--flow FLOW] [--format text|json]",
		Short: "A customer's attributes, consent, orders, events, journeys and messages; with --flow, why each trigger event did or did not start a journey",
		Long: `Shows a customer's attributes, consent per channel (with when and which event set it), order
metrics, recent events, journeys and messages. With --flow, it explains each of the customer's
events of that flow's trigger type: whether the trigger's when held, with the values it read, and
what the entry rule decided, by the engine's own rules.`,
		Example: `  afterglow inspect customer laura --flow review-request
  afterglow inspect customer 7012345 --format json --db postgres://afterglow@db/afterglow`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return o.run(cmd, c, func(ctx context.Context, st store.Reader) (writer, error) {
				v, err := inspect.Customer(ctx, st, nil, argv[0], inspect.Options{Flow: flow})
				if errors.Is(err, store.ErrNotFound) {
					fmt.Fprintf(c.stderr, "no customer %q in the database\n", argv[0])
					return nil, exitStatus(1)
				}
				return v, err
			})
		},
	}
	cmd.Flags().StringVar(&flow, "flow", "", "explain why each of the customer's trigger events of this flow did or did not start a journey")
	return cmd
}

func newInspectFlowCmd(c *cli, o *inspectOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "flow FLOW [--format text|json]",
		Short: "A flow's journeys by version and status, how many wait at each step and when the next wakes, its messages by status",
		Example: `  afterglow inspect flow review-request
  afterglow inspect flow win-back --format json --db postgres://afterglow@db/afterglow`,
		Args: args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			return o.run(cmd, c, func(ctx context.Context, st store.Reader) (writer, error) {
				return inspect.Flow(ctx, st, nil, argv[0])
			})
		},
	}
}

// writer is a view that writes itself for a person; as JSON it is a contract.
type writer interface {
	WriteText(io.Writer) error
}

// run opens the database as `afterglow report` does, builds the view and writes it.
func (o *inspectOptions) run(cmd *cobra.Command, c *cli, view func(context.Context, store.Reader) (writer, error)) error {
	if err := oneOf("format", o.format, "text", "json"); err != nil {
		return err
	}
	o.configSet = cmd.Flags().Changed("config")
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	settings, err := reportSettings(o.config, o.configSet)
	if err != nil {
		return err
	}
	url, err := databaseURL(o.db, settings.Database)
	if err != nil {
		return err
	}
	st, err := pgstore.Open(ctx, url, pgstore.Options{Schema: o.schema, MaxConns: 2})
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := view(ctx, st)
	if errors.Is(err, inspect.ErrUnknownFlow) {
		fmt.Fprintln(c.stderr, err)
		return exitStatus(1)
	}
	if err != nil {
		return err
	}
	if o.format == "json" {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return v.WriteText(c.stdout)
}
