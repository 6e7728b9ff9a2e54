// Package all registers every built-in connector. Import it for its side effect:
//
//	import _ "github.com/afterglowhq/afterglow/connectors/all"
package all

import (
	_ "github.com/afterglowhq/afterglow/connectors/console"
	_ "github.com/afterglowhq/afterglow/connectors/fcm"
	_ "github.com/afterglowhq/afterglow/connectors/smtp"
	_ "github.com/afterglowhq/afterglow/connectors/twilio"
	_ "github.com/afterglowhq/afterglow/connectors/webhook"
	_ "github.com/afterglowhq/afterglow/connectors/whatsapp_cloud"
)
