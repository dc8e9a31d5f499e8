package api

import (
	"net/http"

	"github.com/personsapi/persons/pkg/input"
	"github.com/personsapi/persons/pkg/persons"
)

// relatedKind is one related kind as the HTTP API serves it.
type relatedKind struct {
	kind     *persons.Kind
	segment  string // URL segment, e.g. "bank-accounts"
	function Function
	routes   func() []route
}

func relatedKindOf[T any, P persons.Record[T]](segment string, fn Function) relatedKind {
	k := relatedKind{kind: persons.KindOf[T, P](), segment: segment, function: fn}
	base := "/persons/{personId}/" + segment
	k.routes = func() []route {
		r := func(httpMethod, path string, h method[relatedHandlers[T, P]], query ...string) route {
			return route{Route{fn, httpMethod, path}, query, func(s *persons.Store, names ScopeNames) handlerFunc {
				return h.bind(relatedHandlers[T, P]{r: persons.RelatedOf[T, P](s), base: "/persons/", segment: segment, names: names})
			}}
		}
		return []route{
			r(http.MethodGet, base, relatedHandlers[T, P].list, "limit", "cursor"),
			r(http.MethodPost, base, relatedHandlers[T, P].create),
			r(http.MethodGet, base+"/{id}", relatedHandlers[T, P].get),
			r(http.MethodPut, base+"/{id}", relatedHandlers[T, P].replace),
			r(http.MethodPatch, base+"/{id}", relatedHandlers[T, P].patch),
			r(http.MethodDelete, base+"/{id}", relatedHandlers[T, P].delete),
		}
	}
	return k
}

// relatedHandlers serves one related kind under /persons/{personId}/<segment>. One
// generic implementation serves every related kind.
type relatedHandlers[T any, P persons.Record[T]] struct {
	r       *persons.Related[T, P]
	base    string // "/persons/"
	segment string // "addresses"
	names   ScopeNames
}

// writeWritten sends the result of a write: the item with its ETag (and Location on
// 201), and in the member "changed" the other items the write changed, so that a client
// can apply the side effects (a demoted primary) without refetching.
func (h relatedHandlers[T, P]) writeWritten(w http.ResponseWriter, status int, res persons.Written[T]) error {
	body, err := withMember(res.Item, "changed", res.Changed)
	if err != nil {
		return err
	}
	ref := persons.RefOf[T, P](res.Item)
	location := h.base + ref.PersonID + "/" + h.segment + "/" + ref.ID
	return writeItem(w, status, ref.Version, location, body)
}

func (h relatedHandlers[T, P]) list(w http.ResponseWriter, r *http.Request) error {
	lo, err := listOptions(r, persons.MaxLimit)
	if err != nil {
		return err
	}
	page, err := h.r.List(r.Context(), r.PathValue("personId"), lo)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

func (h relatedHandlers[T, P]) create(w http.ResponseWriter, r *http.Request) error {
	var v T
	if err := decodeBody(r, &v); err != nil {
		return err
	}
	if err := newBankGuard[T](r, h.names).create(&v); err != nil {
		return err
	}
	res, err := h.r.Create(r.Context(), r.PathValue("personId"), v)
	if err != nil {
		return err
	}
	return h.writeWritten(w, http.StatusCreated, res)
}

func (h relatedHandlers[T, P]) get(w http.ResponseWriter, r *http.Request) error {
	v, err := h.r.Get(r.Context(), r.PathValue("personId"), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeTagged(w, r, etag(persons.RefOf[T, P](v).Version), v)
}

// replace is PUT: the body is the whole new item.
func (h relatedHandlers[T, P]) replace(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifVersion(r)
	if err != nil {
		return err
	}
	var v T
	if err := decodeBody(r, &v); err != nil {
		return err
	}
	// Replace, with the bank guard between the stored item and the new one.
	guard := newBankGuard[T](r, h.names)
	res, err := h.r.Update(r.Context(), r.PathValue("personId"), r.PathValue("id"), func(cur *T) error {
		nv := v // a retried update starts again from the body
		if err := guard.replace(&nv, cur); err != nil {
			return err
		}
		*cur = nv
		return nil
	}, ver)
	if err != nil {
		return err
	}
	return h.writeWritten(w, http.StatusOK, res)
}

// patch is PATCH: the body is a JSON merge patch (RFC 7396) of the stored item.
func (h relatedHandlers[T, P]) patch(w http.ResponseWriter, r *http.Request) error {
	ver, err := ifVersion(r)
	if err != nil {
		return err
	}
	patch, err := readBody(r)
	if err != nil {
		return err
	}
	guard := newBankGuard[T](r, h.names)
	res, err := h.r.Update(r.Context(), r.PathValue("personId"), r.PathValue("id"), func(cur *T) error {
		patch, err := guard.patch(patch, cur)
		if err != nil {
			return err
		}
		return input.MergePatch(patch, cur)
	}, ver)
	if err != nil {
		return err
	}
	return h.writeWritten(w, http.StatusOK, res)
}

func (h relatedHandlers[T, P]) delete(w http.ResponseWriter, r *http.Request) error {
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
