package dsl

import (
	"sync"

	"github.com/afterglowhq/afterglow/dsl/schemacheck"
)

var connCheckers sync.Map // schema id -> *schemacheck.Checker

func connectorChecker(id string, schema []byte) (*schemacheck.Checker, error) {
	if c, ok := connCheckers.Load(id); ok {
		return c.(*schemacheck.Checker), nil
	}
	c, err := schemacheck.Compile(id, map[string][]byte{id: schema}, formats)
	if err != nil {
		return nil, err
	}
	connCheckers.Store(id, c)
	return c, nil
}
