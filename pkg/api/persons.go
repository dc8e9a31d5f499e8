package api

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/persons"
)

// maxNameRunes bounds the name parameters (q, lastName, afterLastName, afterFirstName): no
// name is longer, and DynamoDB rejects key conditions beyond its key size limit.
const maxNameRunes = 100

// personsListQuery is what GET /persons takes.
var personsListQuery = []string{"limit", "cursor", "q", "lastName", "order",
	"afterLastName", "afterFirstName", "afterId", "gender", "bornFrom", "bornTo"}

// afterParams are the three parts of a value cursor: all or none.
var afterParams = []string{"afterLastName", "afterFirstName", "afterId"}

// personHandlers serves /persons and /persons/{personId}.
type personHandlers struct{ s *persons.Store }

func personLocation(id string) string { return "/persons/" + id }

func (h personHandlers) list(w http.ResponseWriter, r *http.Request) error {
	o, err := personsListOptions(r)
	if err != nil {
		return err
	}
	page, err := h.s.ListPersons(r.Context(), o)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

// personsListOptions reads the parameters of GET /persons. The store checks the values
// it interprets (gender, the born range, afterId); this checks their form.
func personsListOptions(r *http.Request) (persons.ListPersonsOptions, error) {
	lo, err := listOptions(r, persons.MaxPersonsLimit)
	if err != nil {
		return persons.ListPersonsOptions{}, err
	}
	q := r.URL.Query()
	o := persons.ListPersonsOptions{Limit: lo.Limit, Cursor: lo.Cursor, LastNamePrefix: q.Get("q"), LastName: q.Get("lastName"),
		Gender: q.Get("gender"), BornFrom: q.Get("bornFrom"), BornTo: q.Get("bornTo")}
	var fe input.Fields
	for _, name := range []string{"q", "lastName", "afterLastName", "afterFirstName"} {
		if s := q.Get(name); !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxNameRunes {
			fe.Add(name, "must be at most 100 characters of UTF-8")
		}
	}
	switch q.Get("order") {
	case "", "asc":
	case "desc":
		o.Descending = true
	default:
		fe.Add("order", `must be "asc" or "desc"`)
	}
	var missing []string
	for _, name := range afterParams {
		if q.Get(name) == "" {
			missing = append(missing, name)
		}
	}
	switch len(missing) {
	case len(afterParams):
	case 0:
		o.After = &persons.PersonPosition{LastName: q.Get("afterLastName"), FirstName: q.Get("afterFirstName"), ID: q.Get("afterId")}
	default:
		for _, name := range missing {
			fe.Add(name, "is required with "+strings.Join(afterParams, ", ")+": the last name, first name and id of the person to start after")
		}
	}
	return o, fe.Err()
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

// get serves a person; ?include=all adds every related item, read in one request. Its
// ETag is the whole person's (PersonDetails.Tag), which every change of the person or its
// related items changes; the body's "version" stays the person's, for If-Match. Both
// answer a matching If-None-Match with 304.
func (h personHandlers) get(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("personId")
	switch r.URL.Query().Get("include") {
	case "":
		p, err := h.s.GetPerson(r.Context(), id)
		if err != nil {
			return err
		}
		return writeTagged(w, r, etag(p.Version), p)
	case "all":
		d, err := h.s.GetPersonDetails(r.Context(), id)
		if err != nil {
			return err
		}
		return writeTagged(w, r, `"`+d.Tag()+`"`, d)
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
