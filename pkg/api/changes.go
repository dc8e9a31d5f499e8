package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/personsapi/persons/pkg/changes"
	"github.com/personsapi/persons/pkg/persons"
)

// changesQuery is what GET /changes takes.
var changesQuery = []string{"cursor", "limit", "personId"}

// changeHandlers serves GET /changes, the change feed (pkg/changes). The persons
// function serves it: it reads the same table with the same permissions, and a function
// of its own would add a cold start and a deployment unit without isolating anything.
type changeHandlers struct{ log *changes.Log }

func newChangeHandlers(s *persons.Store) changeHandlers {
	return changeHandlers{&changes.Log{DB: s.Client(), Table: s.Table(), Now: s.Now}}
}

func (h changeHandlers) list(w http.ResponseWriter, r *http.Request) error {
	lo, err := listOptions(r, changes.MaxLimit)
	if err != nil {
		return err
	}
	personID := r.URL.Query().Get("personId")
	if personID != "" && uuid.Validate(personID) != nil {
		return errField("personId", "must be a UUID")
	}
	page, err := h.log.Read(r.Context(), changes.ReadOptions{Cursor: lo.Cursor, Limit: lo.Limit, PersonID: personID})
	switch {
	case errors.Is(err, changes.ErrGone):
		return errStatus(http.StatusGone, fmt.Sprintf("%v (retention %v)", err, changes.DefaultRetention))
	case errors.Is(err, changes.ErrBadCursor):
		return errField("cursor", "is not a cursor of this feed")
	case err != nil:
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}
