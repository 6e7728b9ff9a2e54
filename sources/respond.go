package sources

import (
	"encoding/json"
	"net/http"
)

// Problem is one thing wrong with one event of a request: Index is its position in the batch
// (0 for a single event), Field a path such as "data.total".
type Problem struct {
	Index   int    `json:"index"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ErrorBody is the JSON of every 4xx and 5xx answer.
type ErrorBody struct {
	Error    string    `json:"error"`
	Problems []Problem `json:"problems,omitempty"`
}

// Accepted is the JSON of a successful answer: how many events were committed.
type Accepted struct {
	Accepted int `json:"accepted"`
}

// WriteJSON answers with status and v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError answers with status and {"error": message}.
func WriteError(w http.ResponseWriter, status int, message string) {
	WriteJSON(w, status, ErrorBody{Error: message})
}

// WriteProblems answers with every problem found, so that a sender can fix them all at once: 400
// for events sent as they are, 422 for events a platform's notice was converted into.
func WriteProblems(w http.ResponseWriter, status int, message string, problems []Problem) {
	WriteJSON(w, status, ErrorBody{Error: message, Problems: problems})
}

// MethodNotAllowed answers 405 for anything but POST.
func MethodNotAllowed(w http.ResponseWriter) {
	w.Header().Set("Allow", http.MethodPost)
	WriteError(w, http.StatusMethodNotAllowed, "use POST")
}
