package api

import (
	"net/http"
	"unicode/utf8"

	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/persons"
)

// maxPrefixRunes bounds ?q=: no last name is longer, and DynamoDB rejects key conditions
// beyond its key size limit.
const maxPrefixRunes = 100

// personsListQuery is what GET /persons takes.
var personsListQuery = []string{"limit", "cursor", "q"}

// personHandlers serves /persons and /persons/{personId}.
type personHandlers struct{ s *persons.Store }

func personLocation(id string) string { return "/persons/" + id }

func (h personHandlers) list(w http.ResponseWriter, r *http.Request) error {
	lo, err := listOptions(r, persons.MaxPersonsLimit)
	if err != nil {
		return err
	}
	q := r.URL.Query().Get("q")
	if !utf8.ValidString(q) || utf8.RuneCountInString(q) > maxPrefixRunes {
		return errField("q", "must be at most 100 characters of UTF-8")
	}
	page, err := h.s.ListPersons(r.Context(), persons.ListPersonsOptions{Limit: lo.Limit, Cursor: lo.Cursor, LastNamePrefix: q})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

func (h personHandlers) create(w http.ResponseWriter, r *http.Request) error {
	var p persons.Person
	if err := decodeBody(r, &p); err != nil {
		return err
	}
	p, err := h.s.CreatePerson(r.Context(), p)
	if err != nil {
		return err
	}
	return writeItem(w, http.StatusCreated, p.Version, personLocation(p.ID), p)
}

// get serves a person; ?include=all adds every related item, read in one request. That
// response carries no ETag: its representation changes with the related items, which do
// not change the person's version (the body's "version" is the person's, for If-Match).
func (h personHandlers) get(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("personId")
	switch r.URL.Query().Get("include") {
	case "":
		p, err := h.s.GetPerson(r.Context(), id)
		if err != nil {
			return err
		}
		return writeItem(w, http.StatusOK, p.Version, "", p)
	case "all":
		d, err := h.s.GetPersonDetails(r.Context(), id)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, d)
	default:
		return errField("include", `must be "all" or absent`)
	}
}

func (h personHandlers) patch(w http.ResponseWriter, r *http.Request) error {
	v, err := ifVersion(r)
	if err != nil {
		return err
	}
	patch, err := readBody(r)
	if err != nil {
		return err
	}
	p, err := h.s.UpdatePerson(r.Context(), r.PathValue("personId"), func(p *persons.Person) error {
		return input.MergePatch(patch, p)
	}, v)
	if err != nil {
		return err
	}
	return writeItem(w, http.StatusOK, p.Version, "", p)
}

func (h personHandlers) delete(w http.ResponseWriter, r *http.Request) error {
	v, err := ifVersion(r)
	if err != nil {
		return err
	}
	if err := h.s.DeletePerson(r.Context(), r.PathValue("personId"), v); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
