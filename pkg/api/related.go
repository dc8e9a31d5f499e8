package api

import (
	"net/http"

	"github.com/personsapi/persons/pkg/persons"
)

// relatedHandlers serves one related kind under /persons/{personId}/<kind.Route>. One
// generic implementation serves addresses, bank accounts, contacts and employments.
type relatedHandlers[T persons.Child] struct {
	r    *persons.Related[T]
	base string // "/persons/{personId}/addresses"
}

func relatedRoutes[T persons.Child](r *persons.Related[T]) map[string]handlerFunc {
	h := relatedHandlers[T]{r: r, base: "/persons/{personId}/" + r.Kind().Route}
	return map[string]handlerFunc{
		"GET " + h.base:              h.list,
		"POST " + h.base:             h.create,
		"GET " + h.base + "/{id}":    h.get,
		"PUT " + h.base + "/{id}":    h.replace,
		"PATCH " + h.base + "/{id}":  h.patch,
		"DELETE " + h.base + "/{id}": h.delete,
	}
}

// writeItem sends one item with its ETag (and Location on 201).
func (h relatedHandlers[T]) writeItem(w http.ResponseWriter, status int, v T) error {
	ref := persons.RefOf(v)
	location := "/persons/" + ref.PersonID + "/" + h.r.Kind().Route + "/" + ref.ID
	return writeItem(w, status, ref.Version, location, v)
}

func (h relatedHandlers[T]) list(w http.ResponseWriter, r *http.Request) error {
	lo, err := listOptions(r)
	if err != nil {
		return err
	}
	page, err := h.r.List(r.Context(), r.PathValue("personId"), lo)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

func (h relatedHandlers[T]) create(w http.ResponseWriter, r *http.Request) error {
	var v T
	if err := decodeBody(r, &v); err != nil {
		return err
	}
	personID := r.PathValue("personId")
	v, err := h.r.Create(r.Context(), personID, v)
	if err != nil {
		return err
	}
	return h.writeItem(w, http.StatusCreated, v)
}

func (h relatedHandlers[T]) get(w http.ResponseWriter, r *http.Request) error {
	personID := r.PathValue("personId")
	v, err := h.r.Get(r.Context(), personID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.writeItem(w, http.StatusOK, v)
}

func (h relatedHandlers[T]) replace(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifVersion(r)
	if err != nil {
		return err
	}
	var v T
	if err := decodeBody(r, &v); err != nil {
		return err
	}
	personID := r.PathValue("personId")
	v, err = h.r.Replace(r.Context(), personID, r.PathValue("id"), v, ver)
	if err != nil {
		return err
	}
	return h.writeItem(w, http.StatusOK, v)
}

func (h relatedHandlers[T]) patch(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifVersion(r)
	if err != nil {
		return err
	}
	patch, err := readBody(r)
	if err != nil {
		return err
	}
	personID := r.PathValue("personId")
	v, err := h.r.Patch(r.Context(), personID, r.PathValue("id"), patch, ver)
	if err != nil {
		return err
	}
	return h.writeItem(w, http.StatusOK, v)
}

func (h relatedHandlers[T]) delete(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifVersion(r)
	if err != nil {
		return err
	}
	if err := h.r.Delete(r.Context(), r.PathValue("personId"), r.PathValue("id"), ver); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
