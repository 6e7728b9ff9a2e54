// Package all registers every built-in event source. Import it for its side effect:
//
//	import _ "github.com/afterglowhq/afterglow/sources/all"
package all

import (
	_ "github.com/afterglowhq/afterglow/sources/httpapi"
	_ "github.com/afterglowhq/afterglow/sources/shopify"
	_ "github.com/afterglowhq/afterglow/sources/woocommerce"
)
