package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/afterglowhq/afterglow/dsl/content"
)

// pageTexts are the unsubscribe page's words in one language.
type pageTexts struct {
	ask, askText     string
	button           string
	done, doneText   string
	retry, retryText string
	bad, badText     string
}

// unsubscribeTexts are the languages the page speaks; defaultPageLocale is the one it falls back
// to. A language is added here, whole.
var unsubscribeTexts = map[string]pageTexts{
	"en": {
		ask: "Unsubscribe", askText: "Stop receiving these messages? One click and it is done.", button: "Unsubscribe",
		done: "You are unsubscribed", doneText: "You will not receive these messages any more.",
		retry: "Please try again", retryText: "We could not record your choice just now. Please try again in a minute.",
		bad: "Link not valid", badText: "This unsubscribe link is not valid. Use the link in the latest message you received.",
	},
	"es": {
		ask: "Darse de baja", askText: "¿Dejar de recibir estos mensajes? Un clic y listo.", button: "Darme de baja",
		done: "Te has dado de baja", doneText: "Ya no recibirás estos mensajes.",
		retry: "Inténtalo de nuevo", retryText: "No pudimos registrar tu elección en este momento. Inténtalo de nuevo en un minuto.",
		bad: "Enlace no válido", badText: "Este enlace para darse de baja no es válido. Usa el enlace del último mensaje que recibiste.",
	},
	"it": {
		ask: "Annulla l'iscrizione", askText: "Non vuoi più ricevere questi messaggi? Basta un clic.", button: "Annulla l'iscrizione",
		done: "Iscrizione annullata", doneText: "Non riceverai più questi messaggi.",
		retry: "Riprova", retryText: "Non siamo riusciti a registrare la tua scelta. Riprova tra un minuto.",
		bad: "Link non valido", badText: "Questo link per annullare l'iscrizione non è valido. Usa il link dell'ultimo messaggio che hai ricevuto.",
	},
	"pt": {
		ask: "Cancelar inscrição", askText: "Deixar de receber estas mensagens? Um clique e pronto.", button: "Cancelar inscrição",
		done: "Inscrição cancelada", doneText: "Você não receberá mais estas mensagens.",
		retry: "Tente novamente", retryText: "Não conseguimos registrar sua escolha agora. Tente novamente em um minuto.",
		bad: "Link inválido", badText: "Este link de cancelamento não é válido. Use o link da última mensagem que você recebeu.",
	},
	"fr": {
		ask: "Se désabonner", askText: "Ne plus recevoir ces messages ? Un clic suffit.", button: "Me désabonner",
		done: "Vous êtes désabonné", doneText: "Vous ne recevrez plus ces messages.",
		retry: "Veuillez réessayer", retryText: "Nous n'avons pas pu enregistrer votre choix. Réessayez dans une minute.",
		bad: "Lien non valide", badText: "Ce lien de désabonnement n'est pas valide. Utilisez le lien du dernier message reçu.",
	},
	"de": {
		ask: "Abmelden", askText: "Diese Nachrichten nicht mehr erhalten? Ein Klick genügt.", button: "Abmelden",
		done: "Sie sind abgemeldet", doneText: "Sie erhalten diese Nachrichten nicht mehr.",
		retry: "Bitte erneut versuchen", retryText: "Ihre Wahl konnte gerade nicht gespeichert werden. Bitte versuchen Sie es in einer Minute erneut.",
		bad: "Link ungültig", badText: "Dieser Abmeldelink ist ungültig. Verwenden Sie den Link aus der letzten Nachricht, die Sie erhalten haben.",
	},
}

const defaultPageLocale = "en"

// pageLocale is the language to speak to a customer, as messages pick theirs: the customer's
// locale, then its language, then, for a customer whose locale the page does not speak (or a
// link that names nobody), the browser's preferred languages, then English.
func (s *Server) pageLocale(r *http.Request, customerID string) (string, pageTexts) {
	if customerID != "" {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if c, err := s.store.Customer(ctx, customerID); err == nil {
			if loc, _ := c.Attrs["locale"].(string); loc != "" {
				if lang, ok := speaks(loc); ok {
					return lang, unsubscribeTexts[lang]
				}
			}
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if lang, ok := speaks(tag); ok && tag != "*" {
			return lang, unsubscribeTexts[lang]
		}
	}
	return defaultPageLocale, unsubscribeTexts[defaultPageLocale]
}

// speaks says which of the page's languages serves a locale (es-PE is es), if any.
func speaks(locale string) (string, bool) {
	byLang := make(map[string]string, len(unsubscribeTexts))
	for l := range unsubscribeTexts {
		byLang[l] = l
	}
	return content.PickLocale(byLang, locale, "")
}
